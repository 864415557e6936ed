"""After a write commits: record it in the audit trail and tell other systems (the stream's work)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cis.config import settings
from cis.domain.changes import ItemChange, interpret
from cis.domain.churn import rescore_needed
from cis.domain.customer import Customer
from cis.domain.model import STORED
from cis.domain.moments import utcnow
from cis.repository.audit import AuditRepository
from cis.repository.bus import EventBus
from cis.repository.churn import ChurnRepository
from cis.repository.customers import CustomerRepository
from cis.service.duplicates import DuplicateFinder


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
        """Audit first, then publish: a failed publish is retried with the audit entry already there
        (it is written once), and an event is never sent for a change that is not recorded.
        Every step is safe to repeat, as a retried stream batch repeats them."""
        if (change.after or change.before or {}).get("entity") == "customer":
            # Pairs only (the write filed its blocks itself); a no-op unless what matching reads changed.
            self.duplicates.refresh(change.before, change.after)
            if self.churn is not None and rescore_needed(change.before, change.after):
                self.churn.mark_rescore(change.after["id"], self.next_run())
        event = interpret(change)
        if event is None:
            return None
        self.audit.write(event)
        if event.kind in ("customer.updated", "customer.archived"):  # tag lists show the new version
            self.customers.refresh_tag_copies(Customer.model_validate(change.after, context=STORED))
        self.bus.publish([event])
        return event.kind
