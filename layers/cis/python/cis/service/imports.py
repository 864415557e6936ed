"""Import customers from CSV: validate every row, find duplicates, write in batches, never twice.

A chunk of rows is handled in four steps, each batched:
1. validate every row with the create model (invalid rows are reported, nothing else happens);
2. skip rows the ledger says this source already imported (a re-run after an interruption);
3. find duplicates: exact keys held by existing customers (one BatchGetItem per 100 keys), likely
   duplicates among existing customers (the blocking items) and among the rows before it;
4. write the new customers with their ledger rows, many per transaction, and file them for
   duplicate checks at once, so the next chunk finds them before the stream would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ulid import ULID

from cis.domain.customer import Customer, CustomerCreate
from cis.domain.imports import ImportReport, ImportRequest, RowOutcome, parse_csv, validate
from cis.domain.keys import unique_keys
from cis.domain.matching import Fingerprint, compare
from cis.errors import CisError, Conflict, FieldProblem
from cis.repository.duplicates import DuplicateRepository
from cis.repository.imports import ImportRepository
from cis.service.customers import CustomerService
from cis.service.duplicates import DuplicateFinder


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def source_of(request: ImportRequest) -> str:
    """The request's source id, or a stable one for this exact chunk (so re-sending it is harmless)."""
    return request.source_id or _digest(json.dumps([request.csv, request.mapping, request.first_row]))


def ledger_of(actor: str, source: str) -> str:
    """The ledger a caller's source id names: two callers' ids never share one."""
    return _digest(f"{actor}\n{source}")


def row_hash(data: CustomerCreate) -> str:
    """What a row says, as the create model reads it: the same row mapped the same way, the same hash."""
    return _digest(json.dumps(data.model_dump(mode="json"), sort_keys=True))


def source_reused(source: str, row: int) -> Conflict:
    return Conflict(
        f"source_id {source} was used for other content: row {row} differs from the row imported under it. "
        "Use a new source_id for a new file (or leave it out: a hash of the chunk is used)",
        [FieldProblem("source_id", f"used before with another row {row}")],
        code="source_id_reused",
    )


@dataclass
class _Plan:
    new: list[tuple[int, Customer]] = field(default_factory=list)
    duplicates: dict[int, tuple[CustomerCreate, str, float]] = field(default_factory=dict)  # row -> (data, of, score)


class ImportService:
    def __init__(
        self,
        ledger: ImportRepository,
        customers: CustomerService,
        finder: DuplicateFinder,
        blocks: DuplicateRepository,
        clock: Callable[[], datetime],
    ):
        self.ledger, self.customers, self.finder, self.blocks, self.clock = ledger, customers, finder, blocks, clock

    def load(self, request: ImportRequest, actor: str) -> ImportReport:
        source = source_of(request)
        ledger_id = ledger_of(actor, source)
        outcomes: dict[int, RowOutcome] = {}
        valid: list[tuple[int, CustomerCreate]] = []
        for row in parse_csv(request.csv, request.mapping, request.first_row):
            checked = validate(row)
            if isinstance(checked, list):
                outcomes[row.number] = RowOutcome(row=row.number, outcome="invalid", problems=checked)
            else:
                valid.append((row.number, checked))

        hashes = {number: row_hash(data) for number, data in valid}
        done = self.ledger.done(ledger_id, [number for number, _ in valid])
        # A re-run skips what it did before, but only if it is the same content: never skip another file's rows.
        if changed := sorted(n for n, record in done.items() if record.get("row_hash", hashes[n]) != hashes[n]):
            raise source_reused(source, changed[0])
        for number, record in done.items():
            outcomes[number] = RowOutcome(
                row=number,
                outcome="already_imported",
                customer_id=record.get("customer_id"),
                duplicate_of=record.get("duplicate_of"),
            )
        plan = self._plan([(n, data) for n, data in valid if n not in done], request.on_duplicate, actor)
        outcomes |= self._create(ledger_id, plan.new, hashes)

        ledger: dict[int, dict] = {}
        for number, (data, existing, score) in plan.duplicates.items():
            outcome = RowOutcome(row=number, outcome="duplicate", duplicate_of=existing, score=score)
            if request.on_duplicate == "merge":
                try:
                    self.customers.absorb(existing, data, actor)
                    outcome = RowOutcome(row=number, outcome="merged", customer_id=existing, score=score)
                except CisError as error:  # e.g. the row's second email belongs to a third customer
                    outcome.problems = [{"column": "", "field": "row", "problem": f"not merged: {error}"}]
            outcomes[number] = outcome
            if not outcome.problems:
                kept = outcome.model_dump(include={"outcome", "customer_id", "duplicate_of"}, exclude_none=True)
                ledger[number] = kept | {"row_hash": hashes[number]}
        self.ledger.record(ledger_id, ledger)
        return _report(source, outcomes)

    def _plan(self, pending: list[tuple[int, CustomerCreate]], on_duplicate: str, actor: str) -> _Plan:
        """Which rows are new customers and which duplicate one (existing, or an earlier row)."""
        wanted = {(key.kind, key.value) for _, data in pending for key in unique_keys(data)}
        holders = self.ledger.holders(wanted)
        plan, now = _Plan(), self.clock()
        claimed: dict[tuple[str, str], str] = {}  # a unique key -> the new customer of an earlier row
        filed: dict[str, list[tuple[str, Fingerprint]]] = {}  # blocking key -> earlier new customers
        for number, data in pending:
            mine = [(key.kind, key.value) for key in unique_keys(data)]
            holder = next(
                (holders.get(key) or claimed.get(key) for key in mine if key in holders or key in claimed), None
            )
            if holder:
                plan.duplicates[number] = (data, holder, 1.0)
                continue
            record = data.model_dump(mode="json")
            fingerprint = Fingerprint.of(record)
            scored = [(c.score, c.customer_id) for c in self.finder.candidates(record)]
            nearby = {id_: print_ for key in fingerprint.probe_keys() for id_, print_ in filed.get(key, [])}
            scored += [
                (match.score, id_) for id_, print_ in nearby.items() if (match := compare(fingerprint, print_)).likely
            ]
            if scored and on_duplicate != "create":
                score, existing = max(scored)
                plan.duplicates[number] = (data, existing, score)
                continue
            # Created anyway (on_duplicate=create), knowingly: the likely duplicates are remembered.
            customer = Customer.new(data, str(ULID()), actor, now, sorted({id_ for _, id_ in scored}))
            plan.new.append((number, customer))
            claimed |= {key: customer.id for key in mine}
            for key in fingerprint.blocking_keys():
                filed.setdefault(key, []).append((customer.id, fingerprint))
        return plan

    def _create(self, ledger_id: str, new: list[tuple[int, Customer]], hashes: dict[int, str]) -> dict[int, RowOutcome]:
        """Write the new customers in batches (one by one where a batch cannot commit)."""
        retry = set(self.ledger.create(ledger_id, new, hashes))
        outcomes = {}
        for number, customer in new:
            outcomes[number] = RowOutcome(row=number, outcome="created", customer_id=customer.id)
            if number not in retry:
                continue
            try:  # only the row at fault is held back: a key another writer took meanwhile
                self.ledger.create_one(ledger_id, number, customer, hashes[number])
            except CisError as error:
                problems = [{"column": "", "field": f.path, "problem": f.problem} for f in error.fields]
                owner = getattr(error, "existing_customer_id", None)
                outcomes[number] = RowOutcome(row=number, outcome="duplicate", duplicate_of=owner, problems=problems)
        created = [customer for number, customer in new if outcomes[number].outcome == "created"]
        self.blocks.file_new([(c.id, Fingerprint.of(c.model_dump(mode="json"))) for c in created])
        return outcomes


def _report(source: str, outcomes: dict[int, RowOutcome]) -> ImportReport:
    results = [outcomes[number] for number in sorted(outcomes)]
    count = lambda kind: sum(1 for result in results if result.outcome == kind)  # noqa: E731
    return ImportReport(
        source_id=source,
        rows=len(results),
        created=count("created"),
        merged=count("merged"),
        duplicates=count("duplicate"),
        invalid=count("invalid"),
        already_imported=count("already_imported"),
        results=results,
    )
