"""Customer use cases. Takes a repository; knows no HTTP, DynamoDB or Powertools."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from ulid import ULID

from cis.domain.customer import Customer, CustomerCreate, CustomerFields, CustomerPatch
from cis.domain.duplicates import DuplicateCandidate
from cis.domain.keys import UniqueKey
from cis.domain.merging import survivor_fields
from cis.errors import (
    Conflict,
    FieldProblem,
    InvalidRequest,
    PossibleDuplicate,
    PreconditionFailed,
    concurrent_update,
)
from cis.repository.customers import Page, VersionConflict

# A patch without If-Match is applied to whatever is stored; if another writer wins the race
# between our read and write, we read again and reapply rather than overwrite their change,
# backing off with jitter so that a burst of writers to one customer spreads out.
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 0.01


def jittered_pause(attempt: int) -> None:
    time.sleep(random.uniform(0, BACKOFF_BASE_S * 2**attempt))


class Repository(Protocol):
    def create(self, customer: Customer) -> None: ...
    def replace(self, customer: Customer, previous: Customer) -> None: ...
    def update_fields(self, customer_id, changes, expected_version, actor, now) -> Customer: ...
    def archive(self, customer_id, expected_version, actor, now) -> None: ...
    def get(self, customer_id: str) -> Customer | None: ...
    def missing(self, customer_id: str) -> Exception: ...
    def find(self, key: UniqueKey) -> Customer | None: ...
    def list(self, status: str, limit: int, cursor: str | None) -> Page: ...
    def tagged(self, tag: str, limit: int, cursor: str | None) -> Page: ...
    def at_risk(self, level: str, limit: int, cursor: str | None) -> Page: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


class Duplicates(Protocol):
    def candidates(self, record: dict) -> list[DuplicateCandidate]: ...


class CustomerService:
    def __init__(
        self,
        repository: Repository,
        duplicates: Duplicates | None = None,
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[], str] = lambda: str(ULID()),
        pause: Callable[[int], None] = jittered_pause,
    ):
        """Without `duplicates`, creates check exact keys only (emails, phones, external ids)."""
        self.repository = repository
        self.duplicates = duplicates
        self.clock = clock
        self.new_id = new_id
        self.pause = pause

    def create(self, data: CustomerCreate, actor: str, allow_duplicate: bool = False) -> Customer:
        """A new customer. Likely duplicates stop it (PossibleDuplicate) unless the caller allows
        them; then the record remembers whom it was knowingly kept apart from."""
        candidates = self.duplicates.candidates(data.model_dump(mode="json")) if self.duplicates else []
        if candidates and not allow_duplicate:
            raise PossibleDuplicate(candidates)
        distinct_from = [candidate.customer_id for candidate in candidates] or None
        # A concurrent create claiming the same email or phone cancels our transaction; once it has
        # committed, the retry sees its lookup item and answers with a duplicate conflict instead.
        for attempt in range(MAX_ATTEMPTS):
            customer = Customer.new(data, self.new_id(), actor, self.clock(), distinct_from)
            try:
                self.repository.create(customer)
                return customer
            except VersionConflict:
                self.pause(attempt)
        raise Conflict(
            "too many concurrent writes to the same email, phone or external id; retry", code="concurrent_update"
        )

    def get(self, customer_id: str) -> Customer:
        customer = self.repository.get(customer_id)
        if customer is None:
            raise self.repository.missing(customer_id)
        return customer

    def update(self, customer_id: str, patch: CustomerPatch, actor: str, expected_version: int | None) -> Customer:
        changes = patch.independent_changes()
        if changes is not None:  # one conditional UpdateItem, no read
            return self.repository.update_fields(customer_id, changes, expected_version, actor, self.clock())
        return self._read_modify_write(customer_id, lambda _: patch, actor, expected_version)

    def add_tag(self, customer_id: str, tag: str, actor: str) -> Customer:
        """Add one tag, whatever others add or remove meanwhile (no tag list sent, none lost)."""
        return self._read_modify_write(
            customer_id,
            lambda current: None if tag in current.tags else CustomerPatch(tags=[*current.tags, tag]),
            actor,
        )

    def remove_tag(self, customer_id: str, tag: str, actor: str) -> Customer:
        return self._read_modify_write(
            customer_id,
            lambda current: CustomerPatch(tags=[t for t in current.tags if t != tag]) if tag in current.tags else None,
            actor,
        )

    def _read_modify_write(
        self,
        customer_id: str,
        change: Callable[[Customer], CustomerPatch | None],
        actor: str,
        expected_version: int | None = None,
    ) -> Customer:
        """Apply change(current) to the stored record; on a lost race, read again and recompute."""
        for attempt in range(MAX_ATTEMPTS):
            current = self.get(customer_id)
            if expected_version is not None and current.version != expected_version:
                raise PreconditionFailed(
                    f"customer {customer_id} is at version {current.version}, not {expected_version}: "
                    "read it again and reapply your change",
                    current_version=current.version,
                )
            patch = change(current)
            if patch is None:
                return current  # already as asked
            merged = patch.apply_to(current)
            fields = {name: getattr(merged, name) for name in CustomerFields.model_fields}
            updated = current.model_copy(
                update=fields | {"version": current.version + 1, "updated_at": self.clock(), "updated_by": actor}
            )
            try:
                self.repository.replace(updated, current)
                return updated
            except VersionConflict:
                if expected_version is not None:
                    raise PreconditionFailed(
                        f"customer {customer_id} changed while this update was applied: read it again",
                    ) from None
                self.pause(attempt)
        raise concurrent_update(f"customer {customer_id}")

    def absorb(self, customer_id: str, data: CustomerCreate, actor: str) -> Customer:
        """Fill the customer's gaps from another record of them (an import row): their own values
        stay, missing ones are taken, emails, phones, addresses, tags and ids are joined."""

        def fill(current: Customer) -> CustomerPatch | None:
            mine = current.model_dump(mode="json")
            other = data.model_dump(mode="json") | {"id": "incoming", "updated_at": mine["updated_at"]}
            combined = survivor_fields(mine, [other], {})
            changed = {name: value for name, value in combined.items() if value != mine.get(name)}
            return CustomerPatch.model_validate(changed) if changed else None

        return self._read_modify_write(customer_id, fill, actor)

    def archive(self, customer_id: str, actor: str, expected_version: int | None) -> None:
        self.repository.archive(customer_id, expected_version, actor, self.clock())

    def find(self, key: UniqueKey) -> Customer | None:
        return self.repository.find(key)

    def list(self, status: str, limit: int, cursor: str | None) -> Page:
        return self.repository.list(status, limit, cursor)

    def tagged(self, tag: str, limit: int, cursor: str | None) -> Page:
        return self.repository.tagged(tag, limit, cursor)

    def at_risk(self, level: str, tag: str | None, status: str, limit: int, cursor: str | None) -> Page:
        """The churn list of one level; it holds active customers only and is not cut by tag."""
        if tag or status != "active":
            name = "tag" if tag else "status"
            raise InvalidRequest(
                f"churn_risk lists active customers of every tag: leave out {name}",
                [FieldProblem(name, "cannot be combined with churn_risk")],
            )
        return self.repository.at_risk(level, limit, cursor)
