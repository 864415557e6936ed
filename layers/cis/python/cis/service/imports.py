"""Import customers from CSV: validate every row, find duplicates, write in batches, never twice.

A chunk of rows is handled in four steps, each batched:
1. validate every row with the create model (invalid rows are reported, nothing else happens);
2. skip rows the ledger says this source already imported (a re-run after an interruption);
3. find duplicates: exact keys held by existing customers (one BatchGetItem per 100 keys), likely
   duplicates among existing customers (the rows' blocks, one BatchGetItem per 100 keys) and among
   the rows before it (filed in those blocks as they are planned);
4. write the new customers with their ledger rows and their blocks, many per transaction, each on
   condition that the blocks its rows were checked against are unchanged: a create or another import
   that filed a look-alike meanwhile sends those rows back to be checked again, one by one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ulid import ULID

from cis.domain.customer import Customer, CustomerCreate
from cis.domain.duplicates import pair_id
from cis.domain.imports import ImportReport, ImportRequest, RowOutcome, parse_csv, validate
from cis.domain.keys import unique_keys
from cis.domain.matching import Fingerprint
from cis.errors import CisError, Conflict, FieldProblem, Unprocessable
from cis.repository.customers import SUPPRESSED
from cis.repository.duplicates import Block, DuplicateRepository
from cis.repository.imports import ImportRepository
from cis.repository.retries import retry_on_conflict
from cis.service.customers import CustomerService
from cis.service.duplicates import DuplicateFinder, matches_among


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def source_of(request: ImportRequest) -> str:
    """The request's source id, or a stable one for this exact chunk (so re-sending it is harmless)."""
    return request.source_id or _digest(json.dumps([request.csv, request.mapping, request.first_row]))


def ledger_of(actor: str, source: str) -> str:
    """The ledger a caller's source id names: two callers' ids never share one."""
    return _digest(f"{actor}\n{source}")


def row_hash(data: CustomerCreate, record: dict | None = None) -> str:
    """What a row says, as the create model reads it: the same row mapped the same way, the same hash.
    (`record`: the row's model_dump(mode="json"), when the caller has it.)"""
    return _digest(json.dumps(data.model_dump(mode="json") if record is None else record, sort_keys=True))


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
    seen: dict[str, Block] = field(default_factory=dict)  # the blocks the rows were checked against, as read
    review: dict[int, list[str]] = field(default_factory=dict)  # row -> its likely duplicates (on_duplicate=review)
    prints: dict[str, Fingerprint] = field(default_factory=dict)  # new customer -> what it is filed under
    refused: dict[int, RowOutcome] = field(default_factory=dict)  # rows holding an erased customer's contact


# Rows checked against one read of their blocks, then written (in transactions of up to 100 items):
# the blocks are read about as often per row as with one read for a whole chunk (100 keys a request
# either way), and they are seconds fresher when the rows are written beside another import's.
WINDOW_ROWS = 100
REPLANS = 3  # a window's rows checked again after losing a race, before the last ones go one by one


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

        records = {number: data.model_dump(mode="json") for number, data in valid}  # each row as JSON, once
        hashes = {number: row_hash(data, records[number]) for number, data in valid}
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
        pending = [(n, data) for n, data in valid if n not in done]
        duplicates: dict[int, tuple[CustomerCreate, str, float]] = {}
        for start in range(0, len(pending), WINDOW_ROWS):
            window = pending[start : start + WINDOW_ROWS]
            found, created = self._window(ledger_id, window, records, hashes, request.on_duplicate, actor)
            duplicates |= found
            outcomes |= created

        ledger: dict[int, dict] = {}
        for number, outcome in outcomes.items():  # found duplicate when checked again on its own
            if outcome.outcome == "duplicate" and not outcome.problems and number not in done:
                ledger[number] = {
                    "outcome": "duplicate",
                    "duplicate_of": outcome.duplicate_of,
                    "row_hash": hashes[number],
                }
        for number, (data, existing, score) in duplicates.items():
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

    def _window(
        self,
        ledger_id: str,
        rows: list[tuple[int, CustomerCreate]],
        records: dict[int, dict],
        hashes: dict[int, str],
        on_duplicate: str,
        actor: str,
    ) -> tuple[dict[int, tuple[CustomerCreate, str, float]], dict[int, RowOutcome]]:
        """Some rows checked against the blocks as read just before they are written. Rows whose
        transaction another writer beat are checked again against the blocks as they are then (REPLANS
        times), and the few left after that one by one: a part imported beside another loses a race now
        and then, and pays a fresh read of its blocks for it, not a check per row."""
        duplicates: dict[int, tuple[CustomerCreate, str, float]] = {}
        outcomes: dict[int, RowOutcome] = {}
        attempt = 0
        while rows:  # every round settles at least its first row: this ends
            plan = self._plan(rows, records, on_duplicate, actor)
            last, attempt = attempt >= REPLANS, attempt + 1
            outcomes |= plan.refused | self._create(ledger_id, plan, hashes, on_duplicate, one_by_one=last)
            waiting = {number for number, _ in plan.new if number not in outcomes}
            # A row found to duplicate an earlier row of this window holds only if that row was written.
            planned = {customer.id: outcomes.get(number) for number, customer in plan.new}
            for number, (data, existing, score) in plan.duplicates.items():
                if existing not in planned or (planned[existing] and planned[existing].outcome == "created"):
                    duplicates[number] = (data, existing, score)
                elif last and planned[existing] and planned[existing].duplicate_of:  # the same person as that
                    duplicates[number] = (data, planned[existing].duplicate_of, score)
                else:
                    waiting.add(number)
            rows = [(number, data) for number, data in rows if number in waiting]
        return duplicates, outcomes

    def _plan(
        self, pending: list[tuple[int, CustomerCreate]], records: dict[int, dict], on_duplicate: str, actor: str
    ) -> _Plan:
        """Which rows are new customers and which duplicate one (existing, or an earlier row)."""
        uniques = {number: [(key.kind, key.value) for key in unique_keys(data)] for number, data in pending}
        holders = self.ledger.holders({key for mine in uniques.values() for key in mine})
        # Every block a row may be checked against or filed under, in one BatchGetItem per 100 keys.
        prints = {number: Fingerprint.of(records[number]) for number, _ in pending}
        plan, now, known = _Plan(), self.clock(), {}
        plan.seen = self.blocks.blocks({key for print_ in prints.values() for key in print_.blocking_keys()})
        planned = self.blocks.filing(plan.seen)  # the blocks with the rows planned so far filed in them
        claimed: dict[tuple[str, str], str] = {}  # a unique key -> the new customer of an earlier row
        for number, data in pending:
            mine = uniques[number]
            if erased := [key for key in mine if holders.get(key) == SUPPRESSED]:
                plan.refused[number] = _erased_contact(number, data, erased)
                continue
            holder = next(
                (holders.get(key) or claimed.get(key) for key in mine if key in holders or key in claimed), None
            )
            if holder:
                plan.duplicates[number] = (data, holder, 1.0)
                continue
            record, fingerprint = records[number], prints[number]
            # Existing customers and earlier rows alike: both are members of the planned blocks.
            neighbours = planned.members(fingerprint.probe_keys())
            found = matches_among(neighbours, record, listed=False, fingerprint=fingerprint, known=known)
            scored = [(m.score, id_) for id_, m in found.items()]
            if scored and on_duplicate not in ("create", "review"):
                score, existing = max(scored)
                plan.duplicates[number] = (data, existing, score)
                continue
            # Created anyway: knowingly (create: the likely duplicates are remembered as distinct), or
            # to decide later (review: nothing is remembered, so the stream lists the pairs).
            likely = sorted({id_ for _, id_ in scored})
            customer = Customer.new(data, str(ULID()), actor, now, None if on_duplicate == "review" else likely)
            if on_duplicate == "review" and likely:
                plan.review[number] = likely
            plan.new.append((number, customer))
            plan.prints[customer.id] = fingerprint
            claimed |= {key: customer.id for key in mine}
            planned.file(customer.id, None, fingerprint, customer.distinct_from)
        return plan

    def _create(
        self, ledger_id: str, plan: _Plan, hashes: dict[int, str], on_duplicate: str, one_by_one: bool
    ) -> dict[int, RowOutcome]:
        """Write the new customers in batches. The outcomes of those written; with one_by_one, the rows
        whose batch could not commit are checked and written on their own, else they are left out."""
        retry = set(self.ledger.create(ledger_id, plan.new, hashes, plan.seen, plan.prints))
        outcomes = {}
        for number, customer in plan.new:
            if number in retry:  # a key or a block another writer took meanwhile
                if one_by_one:
                    outcomes[number] = self._create_one(ledger_id, number, customer, hashes[number], on_duplicate)
                continue
            review = [pair_id(customer.id, other) for other in plan.review.get(number, [])]
            outcomes[number] = RowOutcome(row=number, outcome="created", customer_id=customer.id, for_review=review)
        return outcomes

    def _create_one(
        self, ledger_id: str, number: int, customer: Customer, row_hash: str, on_duplicate: str
    ) -> RowOutcome:
        """A row checked again on its own, against the blocks as they are now, and written with them."""

        def attempt() -> RowOutcome:
            record = customer.model_dump(mode="json")
            check = self.finder.check(record)
            found = [c for c in check.candidates() if c.customer_id not in (customer.distinct_from or [])]
            if found and on_duplicate not in ("create", "review"):
                return RowOutcome(
                    row=number, outcome="duplicate", duplicate_of=found[0].customer_id, score=found[0].score
                )
            review = on_duplicate == "review"
            apart = sorted({*(customer.distinct_from or []), *([] if review else (c.customer_id for c in found))})
            kept = customer.model_copy(update={"distinct_from": apart or None})
            self.ledger.create_one(
                ledger_id, number, kept, row_hash, check.actions(kept.id, kept.model_dump(mode="json"))
            )
            pairs = [pair_id(customer.id, c.customer_id) for c in found] if review else []
            return RowOutcome(row=number, outcome="created", customer_id=customer.id, for_review=pairs)

        try:
            return retry_on_conflict(attempt)
        except CisError as error:
            problems = [{"column": "", "field": f.path, "problem": f.problem} for f in error.fields]
            owner = getattr(error, "existing_customer_id", None)
            kind = "invalid" if isinstance(error, Unprocessable) else "duplicate"
            return RowOutcome(row=number, outcome=kind, duplicate_of=owner, problems=problems)


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
        for_review=sum(1 for result in results if result.for_review),
        results=results,
    )


def _erased_contact(number: int, data: CustomerCreate, erased: list[tuple[str, str]]) -> RowOutcome:
    """A row that would bring back an erased customer: refused, naming the field (erased_contact)."""
    paths = {(key.kind, key.value): key.path for key in unique_keys(data)}
    problems = [
        {"column": "", "field": paths[key], "problem": "erased_contact: belonged to a customer whose data was erased"}
        for key in erased
    ]
    return RowOutcome(row=number, outcome="invalid", problems=problems)
