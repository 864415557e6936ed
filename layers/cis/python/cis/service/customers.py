"""Customer use cases. Takes a repository; knows no HTTP, DynamoDB or Powertools."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Protocol

from ulid import ULID

from cis.domain.customer import Customer, CustomerCreate, CustomerFields, CustomerStatus
from cis.domain.duplicates import DuplicateCandidate, OnDuplicate
from cis.domain.keys import UniqueKey
from cis.domain.moments import utcnow as utcnow  # the clock callers know this service by
from cis.errors import (
    Conflict,
    Erased,
    FieldProblem,
    InvalidRequest,
    PossibleDuplicate,
    archived,
    concurrent_update,
)
from cis.repository.customers import BlocksChanged, Page
from cis.repository.retries import MAX_ATTEMPTS as MAX_ATTEMPTS  # the budget callers know this service by
from cis.repository.retries import jittered_pause, read_modify_write, retry_on_conflict

if TYPE_CHECKING:
    from cis.domain.customer import CustomerPatch  # made when first imported (see cis.domain.customer)

_BLOCKS = {"conflict_type": BlocksChanged}  # a retry that re-reads the blocks only


def _too_many_creates() -> Conflict:
    return Conflict(
        "too many concurrent writes to the same email, phone or external id; retry", code="concurrent_update"
    )


class Repository(Protocol):
    def create(self, customer: Customer, also: list = ()) -> None: ...
    def replace(self, customer: Customer, previous: Customer, also: list = ()) -> None: ...
    def update_fields(self, customer_id, changes, expected_version, actor, now) -> Customer: ...
    def archive(
        self, customer_id, expected_version, actor, now, also: list = (), read_version=None, erase_in_days=None
    ) -> None: ...
    def restore(self, customer_id, expected_version, actor, now, also: list = (), read_version=None) -> None: ...
    def tag_copy_actions(self, customer: Customer, listed: bool) -> list: ...
    def keep_apart(
        self, apart: dict[str, tuple[list[str], int]], actor: str, now: datetime, also: list = ()
    ) -> None: ...
    def get(self, customer_id: str) -> Customer | None: ...
    def missing(self, customer_id: str) -> Exception: ...
    def find(self, key: UniqueKey) -> Customer | None: ...
    def list(self, status: str, limit: int, cursor: str | None) -> Page: ...
    def tagged(self, tag: str, limit: int, cursor: str | None) -> Page: ...
    def at_risk(self, level: str, limit: int, cursor: str | None) -> Page: ...


class Accesses(Protocol):
    def record(self, actor: str, action: str, subject: str, count: int, now: datetime) -> None: ...


class Check(Protocol):
    def candidates(self) -> list[DuplicateCandidate]: ...
    def actions(self, customer_id: str, after: dict | None = None) -> list: ...


class Duplicates(Protocol):
    def check(self, record: dict | None, before: dict | None = None) -> Check: ...
    def refiling(self, before: dict | None, after: dict | None, customer_id: str) -> list: ...
    def keeping_apart(self, before: dict[str, dict], after: dict[str, dict]) -> list: ...


@cache
def matched_fields() -> frozenset[str]:
    """The customer fields matching reads (Fingerprint.of), found by asking it: a patch of any of
    them refiles the record's blocks in its own transaction, so it cannot be a blind UpdateItem."""
    from cis.domain.matching import Fingerprint

    read: set[str] = set()

    class Watched(dict):
        def get(self, key, default=None):
            read.add(key)
            return super().get(key, default)

        def __getitem__(self, key):
            read.add(key)
            return super().__getitem__(key)

    Fingerprint.of(Watched())
    return frozenset(read)


def _record(customer: Customer) -> dict:
    return customer.model_dump(mode="json")


class CustomerService:
    def __init__(
        self,
        repository: Repository,
        duplicates: Duplicates | None = None,
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[], str] = lambda: str(ULID()),
        pause: Callable[[int], None] = jittered_pause,
        accesses: Accesses | None = None,
    ):
        """Without `duplicates`, creates check exact keys only (emails, phones, external ids) and no
        record is filed for duplicate checks (tests of other concerns). With `accesses`, every page of a
        listing goes on the access log."""
        self.repository = repository
        self.duplicates = duplicates
        self.clock = clock
        self.new_id = new_id
        self.pause = pause
        self.accesses = accesses

    def create(self, data: CustomerCreate, actor: str, allow_duplicate: bool = False) -> Customer:
        """A new customer; likely duplicates stop it unless allowed (see created)."""
        return self.created(data, actor, "allow" if allow_duplicate else "reject")[0]

    def created(
        self, data: CustomerCreate, actor: str, on_duplicate: OnDuplicate = "reject"
    ) -> tuple[Customer, list[DuplicateCandidate]]:
        """A new customer, and the likely duplicates it was created beside. On likely duplicates:
        reject stops it (PossibleDuplicate); allow creates it remembering whom it was knowingly kept
        apart from (distinct_from: the pairs are never listed); review creates it remembering nothing,
        so the stream lists its pairs for someone to merge or dismiss later."""
        record = data.model_dump(mode="json")

        def attempt() -> tuple[Customer, list[DuplicateCandidate]]:
            # The blocks are read (one BatchGetItem) and written by the create's transaction on the
            # versions read: it commits only if no block it checked changed meanwhile.
            check = self.duplicates.check(record) if self.duplicates else None
            candidates = check.candidates() if check else []
            if candidates and on_duplicate == "reject":
                raise PossibleDuplicate(candidates)
            kept_apart = on_duplicate == "allow" and [candidate.customer_id for candidate in candidates]
            customer = Customer.new(data, self.new_id(), actor, self.clock(), kept_apart or None)
            if check:
                self.repository.create(customer, check.actions(customer.id, _record(customer)))
            else:
                self.repository.create(customer)
            return customer, candidates

        # A concurrent create claiming the same email or phone, or filing in a block this one checked,
        # cancels our transaction; once it has committed, the retry sees its lookup item (a duplicate
        # conflict) or its block entry (a possible duplicate, or a create knowingly kept apart).
        return retry_on_conflict(attempt, self.pause, _too_many_creates)

    def get(self, customer_id: str) -> Customer:
        customer = self.repository.get(customer_id)
        if customer is None:
            raise self.repository.missing(customer_id)
        if customer.status == CustomerStatus.ERASED:
            raise Erased(customer_id)
        return customer

    def update(self, customer_id: str, patch: CustomerPatch, actor: str, expected_version: int | None) -> Customer:
        changes = patch.independent_changes()
        # One conditional UpdateItem, no read, unless the record's blocks must move with the change.
        if changes is not None and not (self.duplicates and set(changes) & matched_fields()):
            return self.repository.update_fields(customer_id, changes, expected_version, actor, self.clock())
        return self._read_modify_write(customer_id, lambda _: patch, actor, expected_version)

    def add_tag(self, customer_id: str, tag: str, actor: str) -> Customer:
        """Add one tag, whatever others add or remove meanwhile (no tag list sent, none lost)."""
        from cis.domain.customer import CustomerPatch

        return self._read_modify_write(
            customer_id,
            lambda current: None if tag in current.tags else CustomerPatch(tags=[*current.tags, tag]),
            actor,
        )

    def remove_tag(self, customer_id: str, tag: str, actor: str) -> Customer:
        from cis.domain.customer import CustomerPatch

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

        def modify(current: Customer) -> Customer | None:
            if current.status == CustomerStatus.ARCHIVED:
                raise archived(customer_id)
            patch = change(current)
            if patch is None:
                return None
            merged = patch.apply_to(current)
            fields = {name: getattr(merged, name) for name in CustomerFields.model_fields}
            return current.model_copy(
                update=fields | {"version": current.version + 1, "updated_at": self.clock(), "updated_by": actor}
            )

        return read_modify_write(
            f"customer {customer_id}",
            lambda: self.get(customer_id),
            modify,
            self._replace,
            expected_version,
            self.pause,
        )

    def _replace(self, updated: Customer, current: Customer) -> None:
        """Write the new version with its blocks refiled; a block that changed meanwhile (someone
        else's record) is read again here, not taken for a change to this customer."""
        if self.duplicates is None:
            return self.repository.replace(updated, current)

        def attempt() -> None:
            also = self.duplicates.refiling(_record(current), _record(updated), current.id)
            self.repository.replace(updated, current, also)

        retry_on_conflict(attempt, self.pause, lambda: concurrent_update(f"customer {current.id}"), **_BLOCKS)

    def absorb(self, customer_id: str, data: CustomerCreate, actor: str) -> Customer:
        """Fill the customer's gaps from another record of them (an import row): their own values
        stay, missing ones are taken, emails, phones, addresses, tags and ids are joined."""
        from cis.domain.customer import CustomerPatch
        from cis.domain.merging import survivor_fields  # the merge rules: loaded by imports, not every function

        def fill(current: Customer) -> CustomerPatch | None:
            mine = current.model_dump(mode="json")
            other = data.model_dump(mode="json") | {"id": "incoming", "updated_at": mine["updated_at"]}
            combined = survivor_fields(mine, [other], {})
            changed = {name: value for name, value in combined.items() if value != mine.get(name)}
            return CustomerPatch.model_validate(changed) if changed else None

        return self._read_modify_write(customer_id, fill, actor)

    def archive(
        self, customer_id: str, actor: str, expected_version: int | None, erase_in_days: int | None = None
    ) -> None:
        """Archive: in the same transaction the customer leaves its blocks (no longer a duplicate of
        anyone) and its tag lists; from then on it takes no writes until restored. Retention erases it
        `erase_in_days` later (a customer's own erasure request), else when the retention rules say."""

        def attempt() -> None:
            current = self.get(customer_id)
            if current.status == CustomerStatus.ARCHIVED:
                return  # archiving twice changes nothing
            also = self.duplicates.refiling(_record(current), None, customer_id) if self.duplicates else []
            also += self.repository.tag_copy_actions(current, listed=False)
            self.repository.archive(
                customer_id, expected_version, actor, self.clock(), also, current.version, erase_in_days
            )

        retry_on_conflict(attempt, self.pause, lambda: concurrent_update(f"customer {customer_id}"))

    def restore(self, customer_id: str, actor: str, expected_version: int | None) -> Customer:
        """An archived customer active again: its blocks filed and its tag lists back, in one transaction."""

        def modify(current: Customer) -> Customer | None:
            if current.status == CustomerStatus.ACTIVE:
                return None  # restoring twice changes nothing
            return current.model_copy(
                update={
                    "status": CustomerStatus.ACTIVE,
                    "archived_at": None,
                    "version": current.version + 1,
                    "updated_at": self.clock(),
                    "updated_by": actor,
                }
            )

        def write(restored: Customer, current: Customer) -> None:
            also = self.duplicates.refiling(None, _record(restored), customer_id) if self.duplicates else []
            also += self.repository.tag_copy_actions(restored, listed=True)
            self.repository.restore(customer_id, None, actor, restored.updated_at, also, current.version)

        return read_modify_write(
            f"customer {customer_id}", lambda: self.get(customer_id), modify, write, expected_version, self.pause
        )

    def keep_apart(self, customer_id: str, other_id: str, actor: str) -> list[Customer]:
        """Two customers are not one person (a listed pair dismissed): each remembers the other in
        distinct_from, as a new version of each, with their blocks refiled and the pair's items deleted,
        all in one transaction on the versions read; a writer in between makes it read both again."""
        if customer_id == other_id:
            raise InvalidRequest("a pair is two customers", [FieldProblem("pair_id", "names one customer twice")])

        def attempt() -> list[Customer]:
            current = {id_: self.get(id_) for id_ in (customer_id, other_id)}
            now, apart = self.clock(), {}
            updated = {}
            for id_, other in ((customer_id, other_id), (other_id, customer_id)):
                ids = sorted({*(current[id_].distinct_from or []), other})
                apart[id_] = (ids, current[id_].version)
                updated[id_] = current[id_].model_copy(
                    update={
                        "distinct_from": ids,
                        "version": current[id_].version + 1,
                        "updated_at": now,
                        "updated_by": actor,
                    }
                )
            also = []
            if self.duplicates:
                before = {id_: _record(customer) for id_, customer in current.items()}
                also = self.duplicates.keeping_apart(before, {id_: _record(c) for id_, c in updated.items()})
            self.repository.keep_apart(apart, actor, now, also)
            return [updated[customer_id], updated[other_id]]

        return retry_on_conflict(attempt, self.pause, lambda: concurrent_update(f"customers {customer_id}, {other_id}"))

    def find(self, key: UniqueKey) -> Customer | None:
        return self.repository.find(key)

    def list(self, status: str, limit: int, cursor: str | None) -> Page:
        return self.repository.list(status, limit, cursor)

    def tagged(self, tag: str, limit: int, cursor: str | None) -> Page:
        return self.repository.tagged(tag, limit, cursor)

    def listing(
        self,
        key: UniqueKey | None,
        tag: str | None,
        status: str,
        churn_risk: str | None,
        limit: int,
        cursor: str | None,
        actor: str,
    ) -> Page:
        """A page of customers: the one a unique key finds, the churn list of a level, a tag's list or a
        status's. Each page of a list is on the access log; a lookup by key is not a listing."""
        if key is not None:
            found = self.find(key)
            return Page([found] if found and found.status == status else [], None)
        if churn_risk:
            page, listed = self.at_risk(churn_risk, tag, status, limit, cursor), f"churn_risk={churn_risk}"
        elif tag:
            page, listed = self.tagged(tag, limit, cursor), f"tag={tag}"
        else:
            page, listed = self.list(status, limit, cursor), f"status={status}"
        if self.accesses is not None:
            self.accesses.record(actor, "list", listed, len(page.items), self.clock())
        return page

    def at_risk(self, level: str, tag: str | None, status: str, limit: int, cursor: str | None) -> Page:
        """The churn list of one level; it holds active customers only and is not cut by tag."""
        if tag or status != "active":
            name = "tag" if tag else "status"
            raise InvalidRequest(
                f"churn_risk lists active customers of every tag: leave out {name}",
                [FieldProblem(name, "cannot be combined with churn_risk")],
            )
        return self.repository.at_risk(level, limit, cursor)
