"""After a write commits: record it in the audit trail and tell other systems (the stream's work)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cis.config import settings
from cis.domain.changes import ItemChange, interpret
from cis.domain.churn import rescore_needed
from cis.domain.customer import Customer
from cis.domain.model import STORED
from cis.domain.moments import utcnow
from cis.repository.access_log import AccessLog
from cis.repository.audit import AuditRepository
from cis.repository.bus import EventBus
from cis.repository.churn import ChurnRepository
from cis.repository.customers import CustomerRepository
from cis.service.duplicates import DuplicateFinder


@dataclass(frozen=True)
class Failed:
    """The first change of a batch whose writes are not known to have landed, and why."""

    index: int
    error: Exception


def _item_key(request: dict) -> tuple:
    item = request["PutRequest"]["Item"] if "PutRequest" in request else request["DeleteRequest"]["Key"]
    return item["PK"]["S"], item["SK"]["S"]


class ChangeFeed:
    def __init__(
        self,
        audit: AuditRepository,
        bus: EventBus,
        customers: CustomerRepository,
        duplicates: DuplicateFinder,
        churn: ChurnRepository | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.audit, self.bus, self.customers, self.duplicates = audit, bus, customers, duplicates
        self.churn, self.clock = churn, clock
        self.zone = ZoneInfo(settings.business_time_zone)

    def next_run(self) -> date:
        """The churn-check run that sees a change made now: tomorrow's (today's may have run)."""
        return self.clock().astimezone(self.zone).date() + timedelta(days=1)

    def handle(self, change: ItemChange) -> str | None:
        """One change on its own: `write` then `finish` (see there)."""
        failed = self.write([change])
        if failed is not None:
            raise failed.error
        return self.finish(change)

    def write(self, changes: list[ItemChange]) -> Failed | None:
        """The writes of a stream batch, together: the pairs of its profiles (the write filed their
        blocks itself; pairs change only if what matching reads changed) and the audit entries of its
        events, in as many BatchWriteItem requests as 25 items take (the reads: see
        DuplicateFinder.pair_writes). Audit first, then publish (`finish`): an event is never sent
        for a change that is not recorded. Every write is a put of an item keyed by the change, or a
        pair as the change leaves it, so a redelivered batch writes the same items again.

        The first change whose reads or writes failed, if any: those before it are written, it and
        those after it are not known to be (a retry from it repeats them)."""
        profiles = [
            (c.before, c.after) if (c.after or c.before or {}).get("entity") == "customer" else (None, None)
            for c in changes
        ]
        pair_writes = self.duplicates.pair_writes(profiles)
        owned: dict[tuple, tuple[int, dict]] = {}  # item key -> (change index, its last write in the batch)
        failed = None
        for index, change in enumerate(changes):
            try:
                requests = next(pair_writes)
                if change.before is None and (change.after or {}).get("entity") == "access":
                    requests.append({"PutRequest": {"Item": AccessLog.copy(change.after)}})  # into the audit space
                event = interpret(change)
                if event is not None:
                    requests.append({"PutRequest": {"Item": self.audit.entry(event)}})
            except Exception as error:
                failed = Failed(index, error)
                break
            for request in requests:
                key = _item_key(request)
                owned.pop(key, None)  # one write per item in a batch: the later change's
                owned[key] = (index, request)
        ordered = sorted(owned.values(), key=lambda written: written[0])
        landed = [0]
        try:
            self.audit.write_together([request for _, request in ordered], lambda count: landed.__setitem__(0, count))
        except Exception as error:
            first = ordered[min(landed[0], len(ordered) - 1)][0]
            if failed is None or first < failed.index:
                failed = Failed(first, error)
        return failed

    def finish(self, change: ItemChange) -> str | None:
        """What follows a written change: its rescore mark, tag copies, then its event, published.
        Safe to repeat, as a retried stream batch repeats it."""
        profile = (change.after or change.before or {}).get("entity") == "customer"
        if profile and self.churn is not None and rescore_needed(change.before, change.after):
            self.churn.mark_rescore(change.after["id"], self.next_run())
        event = interpret(change)
        if event is None:
            return None
        if event.kind == "customer.updated":  # tag lists show the new version (archive and restore move them)
            self.customers.refresh_tag_copies(Customer.model_validate(change.after, context=STORED))
        if event.kind == "customer.erased":  # every entry of its earlier changes is written by now: scrub them
            self.audit.scrub(event.customer_id)
        self.bus.publish([event])
        return event.kind
