"""Requests per API operation, on a full customer record (given and family name, email, phone,
birthday, postal address): what the caller waits for, and what the write costs afterwards.

    .venv/bin/python bench/api_requests.py

Synchronous: the DynamoDB requests of the function the route belongs to, through its handler
(in-process, moto), with the event the local gateway builds. Asynchronous: the requests the stream
processor makes for the records that write put on the table's stream (read from moto's stream,
filtered by the topology's event filter, in batches of up to 100 as Lambda delivers them): its
DynamoDB requests, and its EventBridge PutEvents. Counts, not timings: botocore's before-call hook
on each handler's own clients fires once per API call (retries are not counted).

Every figure has a budget: the synchronous one is the route's design (one transaction, plus one
BatchGetItem for the blocks of the record's duplicate check, which the same transaction files it in...),
computed for the record; the asynchronous one is what the change feed's design allows for that
write's stream records, batch by batch (up to 100 records, as Lambda delivers them): one BatchGetItem
per 100 probe keys of the batch's customers whose matching fields changed (deduplicated), one Query
for the pairs of each such customer that existed before the batch (a new one, no old image, has
none), one BatchWriteItem per 25 of the batch's pair items written or deleted and audit entries (one
per domain event) together; and per record a PutItem per tag copy on an update, one rescore mark when
a churn signal changed, one PutEvents per domain event. The stream files no blocks: the writes do.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STREAMS_ENDPOINT = "https://streams.dynamodb.{region}.amazonaws.com"  # see _Stream
IMPORT_CHUNK = 200
ADDRESS = {"lines": ["12 St James's Square"], "locality": "London", "postal_code": "SW1Y 4JH", "country": "GB"}
# What a customer record holds when staff enter one in full: every field the duplicate check reads.
RECORD = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "emails": [{"address": "ada.lovelace@example.com"}],
    "phones": [{"number": "+44 20 7946 0018"}],
    "birthday": "1985-12-10",
    "addresses": [ADDRESS],
}
SECOND = {
    "given_name": "Charles",
    "family_name": "Babbage",
    "emails": [{"address": "charles.babbage@example.com"}],
    "phones": [{"number": "+44 20 7946 0019"}],
    "birthday": "1971-12-26",
    "addresses": [{"lines": ["1 Dorset Street"], "locality": "London", "postal_code": "W1U 4EG", "country": "GB"}],
}
# The same person entered again by someone who had her family name and birthday only, with two digits
# of the day exchanged (and another email, made of her name, which tells nothing): a possible duplicate
# (listed for review, score 0.77), not a likely one (no 409). The stream processor pairs the two; the
# merge below then folds this record into the first.
NAMESAKE = {
    "family_name": "Lovelace",
    "birthday": "1985-12-01",
    "emails": [{"address": "a.lovelace@example.net"}],
}
WARM_UP = {"given_name": "Warm", "family_name": "Upton", "emails": [{"address": "warm.upton@example.com"}]}

# Design terms, by the request they stand for (what a rule says and how it is counted).
LEDGER_WRITES, BATCH_WRITES = 25, 25  # items per BatchWriteItem
BATCH_GETS, TRANSACTION_ITEMS = 100, 100


def _terms(*terms: tuple[int, str]) -> dict:
    """A budget: the sum of its terms, and the rule it comes from, as printed."""
    kept = [(count, what) for count, what in terms if count]
    rule = " + ".join(f"{count} {what}" for count, what in kept) or "nothing"
    return {"budget": sum(count for count, _ in kept), "rule": rule}


def _probe_keys(record: dict) -> int:
    from cis.domain.matching import Fingerprint

    return len(Fingerprint.of(record).probe_keys())


def _blocking_keys(record: dict) -> int:
    from cis.domain.matching import Fingerprint

    return len(Fingerprint.of(record).blocking_keys())


def _create(record: dict) -> list[tuple[int, str]]:
    return [
        (1, "TransactWriteItems (profile, lookup items, blocks)"),
        (math.ceil(_blocking_keys(record) / BATCH_GETS), "BatchGetItem (its blocks, 100 keys a request)"),
    ]


def _refile(record: dict) -> list[tuple[int, str]]:
    """A write that moves a record's blocks: the profile read, its blocks (before and after) read, one transaction."""
    return [
        (1, "GetItem"),
        (math.ceil(_blocking_keys(record) / BATCH_GETS), "BatchGetItem (its blocks, 100 keys a request)"),
    ]


# -- the stream ----------------------------------------------------------------------------------


class _Stream:
    """The table's stream in this process's moto, read from where the last read stopped.

    botocore 1.44 sends a stream ARN with an account id to <account>.streams-ddb.<region>.amazonaws.com,
    which moto 5.2 does not serve in-process: the client is given the classic endpoint."""

    def __init__(self, dynamodb, table: str):
        import boto3

        region = dynamodb.meta.region_name
        self.client = boto3.client("dynamodbstreams", endpoint_url=STREAMS_ENDPOINT.format(region=region))
        self.arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.region = region
        self.after: dict[str, str] = {}  # shard id -> sequence number of the last record read

    def new_records(self) -> list[dict]:
        records = []
        for shard in self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            # A fresh iterator on every read, by position, as the local pump does (cis_local.streams).
            position = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.after[shard_id]}
                if shard_id in self.after
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            iterator = self.client.get_shard_iterator(StreamArn=self.arn, ShardId=shard_id, **position)
            iterator = iterator["ShardIterator"]
            while iterator:
                page = self.client.get_records(ShardIterator=iterator, Limit=1000)
                if not page["Records"]:
                    break
                records += [r | {"eventSourceARN": self.arn, "awsRegion": self.region} for r in page["Records"]]
                self.after[shard_id] = page["Records"][-1]["dynamodb"]["SequenceNumber"]
                iterator = page.get("NextShardIterator")
        return records


class _StreamProcessor:
    """The stream processor's handler, fed each write's stream records; counts its requests."""

    def __init__(self, stream: _Stream):
        from cis.topology import FUNCTIONS
        from cis_local.functions import load_handler
        from cis_local.request_counter import RequestCounter

        self.function = next(f for f in FUNCTIONS if f.reads_table_stream)
        self.module = load_handler(self.function)
        self.stream = stream
        self.dynamodb = RequestCounter(self.module.client)
        self.events = RequestCounter(self.module.feed.bus.client)
        # The pair items a batch writes or deletes depend on what is filed when it runs (a merge's
        # loser is still filed when the survivor is refiled): counted, per batch, as the repository
        # builds them (before a later change of the batch supersedes an item: an upper bound).
        self.batches: list[list[dict]] = []
        self.pair_items: list[int] = []
        repository = self.module.feed.duplicates.repository
        pair_requests = repository.pair_requests

        def counted(customer_id, matches, stale, now):
            requests = pair_requests(customer_id, matches, stale, now)
            self.pair_items[-1] += len(requests)
            return requests

        repository.pair_requests = counted

    def _wanted(self, record: dict) -> bool:
        """The topology's event filter, as Lambda applies it."""
        return record["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") in self.function.stream_entities

    def drain(self) -> list[dict]:
        """Deliver every record written since the last drain (and those the deliveries write), in batches
        of up to 100; the records delivered."""
        from cis_local.gateway import LambdaContext
        from cis_local.streams import BATCH_SIZE

        delivered = []
        while records := self.stream.new_records():
            wanted = [record for record in records if self._wanted(record)]
            for start in range(0, len(wanted), BATCH_SIZE):
                batch = wanted[start : start + BATCH_SIZE]
                self.batches.append(batch)
                self.pair_items.append(0)
                with contextlib.redirect_stdout(io.StringIO()):  # Powertools' metric flush at 100 records
                    result = self.module.handler({"Records": batch}, LambdaContext(self.function)) or {}
                assert not result.get("batchItemFailures"), ("the stream processor failed", result)
                delivered += batch
        return delivered


def _plain(image: dict | None) -> dict | None:
    from cis.repository.items import from_attributes

    return from_attributes(image) if image else None


def _active(profile: dict | None) -> bool:
    return bool(profile) and profile.get("status", "active") == "active" and "merged_into" not in profile


def _stream_budget(batches: list[list[dict]], pair_items: list[int]) -> tuple[dict, dict]:
    """What the change feed's design allows for these stream batches: (DynamoDB terms, PutEvents terms)."""
    from cis.domain.changes import ItemChange, interpret
    from cis.domain.churn import rescore_needed
    from cis.domain.matching import Fingerprint

    probes = pair_reads = batch_writes = tag_copies = rescores = events = 0
    for batch, pairs in zip(batches, pair_items, strict=True):
        probe_keys, read, audits = set(), set(), 0
        for record in batch:
            before, after = _plain(record["dynamodb"].get("OldImage")), _plain(record["dynamodb"].get("NewImage"))
            if before is None and (after or {}).get("entity") == "access":
                audits += 1  # its copy in the access log, written with the batch's audit entries
            if (after or before or {}).get("entity") == "customer":
                old = Fingerprint.of(before) if _active(before) else None
                new = Fingerprint.of(after) if _active(after) else None
                apart = ((before or {}).get("distinct_from") or [], (after or {}).get("distinct_from") or [])
                customer_id = (after or before)["id"]
                if (old != new or apart[0] != apart[1]) and customer_id not in read:
                    read.add(customer_id)  # its first change in the batch: a new customer has no pairs
                    pair_reads += before is not None
                if old != new or apart[0] != apart[1]:
                    probe_keys |= new.probe_keys() if new else set()
                rescores += rescore_needed(before, after)
            event = interpret(ItemChange(change_id=record["eventID"], before=before, after=after))
            if event is not None:
                events += 1
                audits += 1
                if event.kind == "customer.updated":
                    tag_copies += len(after.get("tags") or [])
        probes += math.ceil(len(probe_keys) / BATCH_GETS)
        batch_writes += math.ceil((pairs + audits) / BATCH_WRITES)
    dynamodb = _terms(
        (probes, "BatchGetItem (the batch's probe keys' blocks, 100 a request)"),
        (pair_reads, "Query (pairs of a customer that existed before the batch)"),
        (batch_writes, "BatchWriteItem (the batch's pair items, audit entries and access log copies, 25 a request)"),
        (tag_copies, "PutItem (tag copy)"),
        (rescores, "PutItem (rescore mark)"),
    )
    return dynamodb, _terms((events, "PutEvents (1 per domain event)"))


# -- the import chunk ------------------------------------------------------------------------------


def _import_budget(text: str, report: dict) -> dict:
    """The import's design, for this chunk (cis.service.imports): a batched read of its ledger rows;
    then per window of WINDOW_ROWS rows, batched reads of the rows' unique keys and of their blocks,
    and the new customers with their blocks in transactions of up to 100 items; the ledger rows of
    what was skipped 25 a BatchWriteItem."""
    from cis.domain.imports import parse_csv, validate
    from cis.domain.keys import unique_keys
    from cis.domain.matching import Fingerprint
    from cis.service.imports import WINDOW_ROWS

    outcomes = {result["row"]: result for result in report["results"]}
    valid = {row.number: data for row in parse_csv(text, {}, 2) if not isinstance(data := validate(row), list)}
    rows = sorted(valid.items())
    holders = block_reads = transactions = 0
    for start in range(0, len(rows), WINDOW_ROWS):
        window = rows[start : start + WINDOW_ROWS]
        wanted = {(key.kind, key.value) for _, data in window for key in unique_keys(data)}
        prints = {n: Fingerprint.of(data.model_dump(mode="json")) for n, data in window}
        blocks = {key for print_ in prints.values() for key in print_.blocking_keys()}
        holders += math.ceil(len(wanted) / BATCH_GETS)
        block_reads += math.ceil(len(blocks) / BATCH_GETS)
        items, group_blocks, opened = 0, set(), False
        for n, data in window:  # packed as ImportRepository.create packs them
            if outcomes[n]["outcome"] != "created":
                continue
            size = 1 + len(unique_keys(data)) + len(data.tags) + 1  # profile, lookup items, tag copies, ledger row
            mine = prints[n].blocking_keys()
            if not opened or items + size + len(group_blocks | mine) > TRANSACTION_ITEMS:
                transactions, items, group_blocks, opened = transactions + 1, 0, set(), True
            items += size
            group_blocks |= mine
    skipped = sum(1 for n in valid if outcomes[n]["outcome"] != "created")
    return _terms(
        (math.ceil(len(valid) / BATCH_GETS), "BatchGetItem (ledger rows, 100 a request)"),
        (holders, f"BatchGetItem (unique keys' holders, 100 a request, per window of {WINDOW_ROWS} rows)"),
        (block_reads, f"BatchGetItem (the rows' blocks, 100 a request, per window of {WINDOW_ROWS} rows)"),
        (transactions, "TransactWriteItems (new customers with their blocks, 100 items a transaction)"),
        (math.ceil(skipped / LEDGER_WRITES), "BatchWriteItem (ledger rows of skipped rows, 25 a request)"),
    )


# -- the measurement -------------------------------------------------------------------------------


def measure() -> dict:
    import boto3
    from cis.config import settings
    from cis.topology import FUNCTIONS, Role
    from cis_local import moto_fixes, tokens
    from cis_local.functions import load_handler
    from cis_local.gateway import Gateway, LambdaContext
    from cis_local.request_counter import RequestCounter
    from cis_local.synthetic import import_file
    from cis_local.table import ensure_table
    from moto import mock_aws

    table = settings.table_name
    with mock_aws(), moto_fixes.installed():
        dynamodb = boto3.client("dynamodb")
        ensure_table(dynamodb, table)
        boto3.client("events").create_event_bus(Name=settings.event_bus_name)
        modules = {f.name: load_handler(f) for f in FUNCTIONS if f.routes and f.table_access != "none"}
        counters = [RequestCounter(module.client) for module in modules.values()]
        processor = _StreamProcessor(_Stream(dynamodb, table))
        gateway = Gateway()
        claims = tokens.verify(tokens.mint([Role.SUPPORT]))

        def call(method: str, url: str, body: dict | None = None, **headers: str) -> dict:
            """Through the function the topology routes to, with the event the local gateway builds;
            then the stream processor handles what the call wrote (uncounted unless measured)."""
            binding, params = gateway.match(method, url.split("?")[0])
            raw = json.dumps(body).encode() if body is not None else b""
            header_lists = {"Content-Type": ["application/json"]} | {
                k.replace("_", "-"): [v] for k, v in headers.items()
            }
            event = gateway.event(binding, method, url, header_lists, raw, params, claims)
            response = modules[binding.function.name].handler(event, LambdaContext(binding.function))
            assert response["statusCode"] < 300, response
            return json.loads(response["body"]) if response.get("body") else {}

        def calls() -> Counter:
            total = Counter()
            for counter in counters:
                total.update(counter.calls)
            return total

        operations: dict[str, dict] = {}

        def measure_call(name: str, sync: list[tuple[int, str]], method: str, url: str, body=None, **headers):
            before = calls()
            result = call(method, url, body, **headers)
            sync_calls = calls() - before
            stream_before, events_before = processor.dynamodb.calls.copy(), processor.events.calls.copy()
            processor.batches.clear()
            processor.pair_items.clear()
            records = processor.drain()
            stream_calls = processor.dynamodb.calls - stream_before
            event_calls = processor.events.calls - events_before
            stream_budget, events_budget = _stream_budget(processor.batches, processor.pair_items)
            sync_budget = _terms(*sync) if isinstance(sync, list) else sync(result)
            operations[name] = {
                "sync": sum(sync_calls.values()),
                "sync_budget": sync_budget["budget"],
                "sync_rule": sync_budget["rule"],
                "sync_calls": dict(sorted(sync_calls.items())),
                "stream_records": len(records),
                "stream": sum(stream_calls.values()),
                "stream_budget": stream_budget["budget"],
                "stream_rule": stream_budget["rule"],
                "stream_calls": dict(sorted(stream_calls.items())),
                "events": sum(event_calls.values()),
                "events_budget": events_budget["budget"],
            }
            return result

        # Warm up: the first calls create connections and caches nothing DynamoDB-side.
        call("POST", "/v1/customers", WARM_UP)
        processor.drain()

        customer = measure_call("create", _create(RECORD), "POST", "/v1/customers", RECORD)
        idempotency = [(1, "PutItem (idempotency record)"), (1, "UpdateItem (its response)")]
        measure_call(
            "create with Idempotency-Key",
            _create(SECOND) + idempotency,
            "POST",
            "/v1/customers",
            SECOND,
            Idempotency_Key="bench-1",
        )
        path = f"/v1/customers/{customer['id']}"
        measure_call("get", [(1, "GetItem")], "GET", path)
        independent = [(1, "UpdateItem (conditional, no read)")]
        measure_call("patch (independent fields)", independent, "PATCH", path, {"locale": "en-GB"}, If_Match='"1"')
        emails = {"emails": [{"address": "ada.lovelace@example.org"}]}
        moved = [*_refile(RECORD), (1, "TransactWriteItems (profile, lookup items and blocks moved)")]
        measure_call("patch (email change)", moved, "PATCH", path, emails, If_Match='"2"')
        lookup = [(1, "GetItem (lookup item)"), (1, "GetItem (profile)")]
        measure_call("lookup by email", lookup, "GET", "/v1/customers?email=ada.lovelace@example.org")
        listing = [(1, "Query"), (1, "PutItem (its access record)")]
        measure_call("list page", listing, "GET", "/v1/customers?limit=25")
        order = {"type": "order", "external_order_id": "b-1", "amount": "12.50", "currency": "EUR"}
        entry = [(1, "TransactWriteItems (entry, profile's engagement)")]
        measure_call("interaction write (order)", entry, "POST", f"{path}/interactions", order)
        for _ in range(30):  # a timeline longer than the view, so the view has to stop early
            call("POST", f"{path}/interactions", {"type": "activity", "activity": "visit", "channel": "web"})
        processor.drain()
        measure_call("timeline page", [(1, "Query (profile and entries)")], "GET", f"{path}/timeline?limit=25")
        # The type index holds no profile: a first page reads it too, to answer 404 or 410 (merged).
        by_type = [(1, "Query"), (1, "GetItem (profile)")]
        measure_call("timeline page by type", by_type, "GET", f"{path}/timeline?type=order&limit=25")
        measure_call("360 view", [(1, "Query")], "GET", f"{path}/360")
        namesake = measure_call("create (a possible duplicate)", _create(NAMESAKE), "POST", "/v1/customers", NAMESAKE)
        measure_call("list duplicate pairs", [(1, "Query")], "GET", "/v1/duplicates?limit=25")

        def merge_budget(log: dict) -> dict:
            from cis.repository.keys import merge_steps
            from cis.repository.merges import MAX_TRANSACTION_ITEMS

            steps = dynamodb.query(**merge_steps(table, log["merge_id"]))["Count"]
            merged = 1 + len(log["merged_ids"])
            moved = log["items_changed"] - merged  # every item but the profiles, which go last
            return _terms(
                (merged, "GetItem (1 per customer)"),
                (1, "TransactWriteItems (locks, merge log)"),
                (merged, "Query (1 per customer's items)"),
                (1, "BatchGetItem (lookup items)"),
                (steps, "PutItem (1 per step of the plan)"),
                (math.ceil(moved / MAX_TRANSACTION_ITEMS), "TransactWriteItems (items moved, 100 a transaction)"),
                (1, "BatchGetItem (the customers' blocks)"),
                (1, "TransactWriteItems (profiles, merge log, blocks)"),
            )

        measure_call("merge (2 customers)", merge_budget, "POST", f"{path}/merge", {"merge_ids": [namesake["id"]]})
        # The survivor leaves its blocks in the archive's own transaction.
        archived = [*_refile(RECORD), (1, "TransactWriteItems (profile, blocks left)")]
        measure_call("archive", archived, "DELETE", path)
        generated = import_file(rows=IMPORT_CHUNK, seed=5)
        measure_call(
            f"import: {IMPORT_CHUNK}-row chunk",
            lambda report: _import_budget(generated.text, report),
            "POST",
            "/v1/imports",
            {"csv": generated.text},
        )

    chunk = operations[f"import: {IMPORT_CHUNK}-row chunk"]
    return {
        "record": {
            "fields": sorted(RECORD),
            "probe_keys": _probe_keys(RECORD),
            "blocking_keys": _blocking_keys(RECORD),
        },
        "operations": operations,
        "import_rows": IMPORT_CHUNK,
        "import_sync_per_row": round(chunk["sync"] / IMPORT_CHUNK, 2),
        "import_stream_per_row": round(chunk["stream"] / IMPORT_CHUNK, 2),
    }


def failures(results: dict) -> list[str]:
    """The operations over any of their budgets."""
    return [
        f"over budget: {name} ({', '.join(over)})"
        for name, figures in results["operations"].items()
        if (over := _over(figures))
    ]


def _over(figures: dict) -> list[str]:
    return [what for what in ("sync", "stream", "events") if figures[what] > figures[f"{what}_budget"]]


def _calls(calls: dict) -> str:
    return ", ".join(f"{name} {count}" for name, count in calls.items()) or "none"


def report(results: dict) -> None:
    record = results["record"]
    print(
        "Requests per API operation: through each function's handler (moto, botocore hooks), on a full record "
        f"({', '.join(record['fields'])}: {record['probe_keys']} probe keys, {record['blocking_keys']} blocking keys)"
    )
    print(
        "  sync: DynamoDB requests before the response; stream: the stream processor's DynamoDB requests for "
        "the stream records the write made (records: those its filter passes); events: its PutEvents"
    )
    print(
        f"  {'operation':<30}{'sync':>6}{'budget':>8}{'records':>9}{'stream':>8}{'budget':>8}"
        f"{'events':>8}{'budget':>8}  verdict"
    )
    for name, figures in results["operations"].items():
        over = _over(figures)
        verdict = f"OVER BUDGET ({', '.join(over)})" if over else "ok"
        print(
            f"  {name:<30}{figures['sync']:>6}{figures['sync_budget']:>8}{figures['stream_records']:>9}"
            f"{figures['stream']:>8}{figures['stream_budget']:>8}{figures['events']:>8}{figures['events_budget']:>8}"
            f"  {verdict}"
        )
        print(f"  {'':<4}sync:   {_calls(figures['sync_calls'])}  (budget: {figures['sync_rule']})")
        print(f"  {'':<4}stream: {_calls(figures['stream_calls'])}  (budget: {figures['stream_rule']})")
    print(
        f"  import: requests per row, in a chunk of {results['import_rows']} rows: "
        f"{results['import_sync_per_row']:.2f} sync, {results['import_stream_per_row']:.2f} in the stream"
    )


def main() -> int:
    import environment  # noqa: F401  (first: the settings every cis module reads at import)

    results = measure()
    report(results)
    for problem in failures(results):
        print(problem)
    return 1 if failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
