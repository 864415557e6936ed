"""Deliver the table's stream to the stream processor, as Lambda's event source mapping does.

Reads every shard of the table's stream (moto's server mode keeps one), hands the processor
batches in Lambda's event shape, and on reported failures redelivers from the first failed
record; after MAX_DELIVERIES the failed records go to the dead-letter queue.

It polls without hammering the server, which applies one request at a time: a full batch is
followed by the next poll at once; a partial one by a short batching window, so records written
meanwhile travel together; a failed one by a growing back-off. Idle, it reads as soon as it is
nudged (the gateway nudges it after every invocation: a function's writes are committed when it
returns) and otherwise every IDLE_POLL_SECONDS, for writes made elsewhere (`cis jobs run`, a
script on the table); polling idle every 0.3 s cost each idle runtime about 5% of a core.
The shard list is read again every SHARDS_SECONDS, not on every poll.
"""

from __future__ import annotations

import json
import logging
import threading
import time

BATCH_SIZE = 100
READS_PER_POLL = 20  # GetRecords calls a poll may make to fill a batch of the records the filter keeps
MAX_DELIVERIES = 3
BATCH_WINDOW_SECONDS = 0.1  # after a partial batch, or a nudge: a burst of writes makes one read
IDLE_POLL_SECONDS = 2.0  # idle and not nudged
RETRY_SECONDS = 0.3  # after failed polls: 0.3 s, 0.6 s, 1.2 s... up to MAX_BACKOFF_SECONDS
MAX_BACKOFF_SECONDS = 5.0
SHARDS_SECONDS = 5.0
log = logging.getLogger("cis_local.streams")


class StreamPump:
    def __init__(self, dynamodb, streams, sqs, table_name: str, invoke, dead_letter_url: str, region: str, entities=()):
        self.dynamodb, self.streams, self.sqs = dynamodb, streams, sqs
        self.entities = set(entities)  # the topology's event filter, as Lambda applies it
        self.table, self.invoke, self.dead_letter_url, self.region = table_name, invoke, dead_letter_url, region
        self.stopping = threading.Event()
        self.nudged = threading.Event()
        self.thread = threading.Thread(target=self._run, name="stream-pump", daemon=True)
        self.delivered = 0

    def start(self) -> None:
        self.thread.start()

    def nudge(self) -> None:
        """Read the stream now: something was just written (or may have been)."""
        self.nudged.set()

    def stop(self) -> None:
        self.stopping.set()
        self.nudged.set()
        self.thread.join(timeout=5)

    def _iterator(self, arn: str, shard_id: str, after: str | None) -> str:
        # A fresh iterator on every poll: moto replaces the stream's shard when it rolls back a
        # failed transaction, and an iterator taken before reads the stale copy (rolled-back
        # writes included) and then nothing more. Lambda's poller resumes the same way, by position.
        position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after} if after else {}
        return self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard_id, **(position or {"ShardIteratorType": "TRIM_HORIZON"})
        )["ShardIterator"]

    def _run(self) -> None:
        arn, shards, shards_read = None, [], float("-inf")
        delivered_up_to: dict[str, str | None] = {}  # shard id -> sequence number of the last record handled
        failures = 0
        while not self.stopping.is_set():
            self.nudged.clear()  # a nudge from here on makes another read at once
            try:
                if arn is None:
                    arn = self.dynamodb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
                if time.monotonic() - shards_read > SHARDS_SECONDS:
                    described = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]
                    shards = [shard["ShardId"] for shard in described["Shards"]]
                    shards_read = time.monotonic()
                read = max((self._poll(arn, shard_id, delivered_up_to) for shard_id in shards), default=0)
                failures = 0
            except Exception:  # keep pumping: a local runtime should survive a bad moment
                if self.stopping.is_set():
                    return
                log.exception("stream delivery failed; retrying")
                failures += 1
                shards_read = float("-inf")  # the shards may have changed under us
                self.stopping.wait(min(RETRY_SECONDS * 2 ** (failures - 1), MAX_BACKOFF_SECONDS))
                continue
            if read >= BATCH_SIZE:  # a backlog: the next poll at once
                continue
            if not read and not self.nudged.wait(IDLE_POLL_SECONDS):  # idle: a nudge, or the idle interval
                continue
            self.stopping.wait(BATCH_WINDOW_SECONDS)  # the rest of the burst travels together

    def _poll(self, arn: str, shard_id: str, delivered_up_to: dict[str, str | None]) -> int:
        """Deliver what the shard has after the last record handled, up to a batch of records the filter
        lets through (as Lambda filters before it batches: a create's lookup, block and ledger records
        fill no batch); how many it delivered."""
        iterator = self._iterator(arn, shard_id, delivered_up_to.get(shard_id))
        wanted: list[dict] = []
        last, wanted_more = None, False
        for _ in range(READS_PER_POLL):
            answer = self.streams.get_records(ShardIterator=iterator, Limit=BATCH_SIZE)
            for record in answer["Records"]:
                if self._wanted(record):
                    wanted.append(record | {"eventSourceARN": arn, "awsRegion": self.region})
                last = record["dynamodb"]["SequenceNumber"]
                if len(wanted) == BATCH_SIZE:
                    break
            iterator = answer.get("NextShardIterator")
            if not answer["Records"] or len(wanted) == BATCH_SIZE or not iterator:
                break
        else:  # records still coming that the filter drops: a backlog all the same
            wanted_more = True
        if wanted:
            self._deliver(wanted)
        if last is not None:
            delivered_up_to[shard_id] = last
        return BATCH_SIZE if wanted_more else len(wanted)

    def _wanted(self, record: dict) -> bool:
        if not self.entities:
            return True
        return record["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") in self.entities

    def _deliver(self, records: list[dict]) -> None:
        for attempt in range(1, MAX_DELIVERIES + 1):
            result = self.invoke({"Records": records}) or {}
            failures = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            if not failures:
                self.delivered += len(records)
                return
            first = min(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failures)
            self.delivered += first
            records = records[first:]  # as Lambda: retry from the first failed record
            if attempt < MAX_DELIVERIES:
                time.sleep(0.2 * attempt)
        for record in records:
            self.sqs.send_message(QueueUrl=self.dead_letter_url, MessageBody=json.dumps(record, default=str))
        log.error("%d stream records went to the dead-letter queue", len(records))
