"""Timeline use cases: record interactions, update tickets, page the timeline, the 360 view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from ulid import ULID

from cis.config import settings
from cis.domain.customer import Customer
from cis.domain.interactions import (
    MAX_MESSAGES,
    InteractionIn,
    Order,
    TicketMessage,
    TicketUpdate,
    engagement_change,
    open_tickets_delta,
)
from cis.domain.moments import timestamp, utcnow
from cis.domain.timeline import EntryBase, shown_entry
from cis.domain.visibility import visible_entry, visible_page
from cis.errors import Conflict, FieldProblem, NotFound, concurrent_update
from cis.repository.customers import Page
from cis.repository.retries import jittered_pause, retry_on_conflict
from cis.repository.timeline import Backdated, NoThread, TimelineRepository
from cis.topology import Role

VIEW_ENTRIES = 20


class TimelineService:
    def __init__(
        self,
        repository: TimelineRepository,
        clock: Callable[[], datetime] = utcnow,
        pause: Callable[[int], None] = jittered_pause,
        thresholds: tuple[int, ...] | None = None,
        zone: ZoneInfo | None = None,
    ):
        self.repository, self.clock, self.pause = repository, clock, pause
        self._thresholds = thresholds
        self.zone = zone or ZoneInfo(settings.business_time_zone)  # the business day thresholds count in

    @property
    def thresholds(self) -> tuple[int, ...]:
        """The inactivity thresholds of the churn rules: read by writes, from the rules parsed at the
        first one (a cold start that only reads builds no rule model)."""
        if self._thresholds is None:
            from cis.domain.churn import parse_rules  # loaded by the first write (see record)

            self._thresholds = parse_rules(settings.churn_rules).thresholds_days
        return self._thresholds

    def record(self, customer_id: str, interaction: InteractionIn, actor: str) -> EntryBase:
        from cis.domain.churn import watch_after_activity  # the churn rules' module: loaded by writes, not reads

        now = self.clock()
        occurred = interaction.occurred_at or now
        entry = interaction.model_dump(mode="json", exclude_none=True) | {
            # The id's time part is when it happened, so the timeline sorts by it.
            "id": str(ULID.from_datetime(occurred)),
            "customer_id": customer_id,
            "occurred_at": timestamp(occurred),
            "recorded_at": timestamp(now),
            "recorded_by": actor,
        }
        change = engagement_change(interaction, occurred)
        order_id = interaction.external_order_id if isinstance(interaction, Order) else None
        last = occurred.astimezone(self.zone).date()
        day, threshold = watch_after_activity(last, now.astimezone(self.zone).date(), self.thresholds)
        watch = (day, threshold, last)

        def attempt() -> EntryBase:
            try:
                self.repository.record(customer_id, entry, change, occurred, order_id, None, watch)
            except Backdated as backdated:  # older than what it would advance: the exact form, at once
                self.repository.record(customer_id, entry, change, occurred, order_id, backdated.engagement, watch)
            return shown_entry(entry)

        return retry_on_conflict(attempt, self.pause, lambda: concurrent_update(f"customer {customer_id}"))

    def update_ticket(self, customer_id: str, entry_id: str, update: TicketUpdate, actor: str) -> EntryBase:
        def attempt() -> EntryBase:
            entry = self.repository.get(customer_id, entry_id)
            if entry is None:
                raise NotFound(f"customer {customer_id} has no interaction {entry_id}")
            if entry["type"] != "ticket":
                raise Conflict(
                    f"interaction {entry_id} is a {entry['type']}: only tickets have a status to update",
                    [FieldProblem("interaction_id", "not a ticket")],
                    code="not_a_ticket",
                )
            changes = update.model_dump(exclude_none=True)
            delta = open_tickets_delta(entry["status"], update.status)
            now = self.clock()
            self.repository.update_ticket(customer_id, entry_id, entry["status"], changes, delta, actor, now)
            step = {"from": entry["status"], "to": update.status, "at": timestamp(now), "by": actor}
            history = [*entry.get("status_history", []), step]
            return shown_entry(
                entry | changes | {"status_history": history, "updated_at": timestamp(now), "updated_by": actor}
            )

        return retry_on_conflict(attempt, self.pause, lambda: concurrent_update(f"ticket {entry_id}"))

    def add_message(
        self, customer_id: str, ticket_id: str, message: TicketMessage, author: str, actor: str
    ) -> EntryBase:
        """A message on a ticket's thread, on the timeline too; support's reply goes to the customer
        (the stream announces it as ticket.replied, and the notifier sends it)."""
        now = self.clock()
        entry = {
            "id": str(ULID.from_datetime(now)),
            "customer_id": customer_id,
            "type": "message",
            "ticket_id": ticket_id,
            "author": author,
            "text": message.text,
            "occurred_at": timestamp(now),
            "recorded_at": timestamp(now),
            "recorded_by": actor,
        }

        def attempt() -> EntryBase:
            try:
                self.repository.add_message(customer_id, ticket_id, entry, now, MAX_MESSAGES)
            except NoThread as refused:
                raise _no_thread(customer_id, ticket_id, refused.ticket) from None
            return shown_entry(entry)

        return retry_on_conflict(attempt, self.pause, lambda: concurrent_update(f"ticket {ticket_id}"))

    def thread(self, customer_id: str, ticket_id: str) -> tuple[dict, list[dict]]:
        """A ticket and its messages, oldest first."""
        ticket = self.repository.get(customer_id, ticket_id)
        if ticket is None or ticket.get("type") != "ticket":
            raise NotFound(f"customer {customer_id} has no ticket {ticket_id}")
        return ticket, self.repository.thread(customer_id, ticket_id)

    def page(self, customer_id: str, kind: str | None, limit: int, cursor: str | None, roles: frozenset[Role]) -> Page:
        """A page of the entries these roles may see; its cursor names none they may not (visibility)."""

        def read(count: int, start: str | None) -> tuple[list[dict], str | None]:
            page = self.repository.page(customer_id, kind, count, start)
            if page is None:
                raise self.repository.missing(customer_id)  # nobody there (404) or merged away (410)
            return page.items, page.next_cursor

        return Page(*visible_page(read, lambda entry: visible_entry(entry, roles), limit, cursor))

    def customer(self, customer_id: str) -> Customer:
        """The profile, or the 404 or 410 that says why there is none."""
        return self.view(customer_id, 0)[0]

    def view(self, customer_id: str, latest: int = VIEW_ENTRIES) -> tuple[Customer, list[dict]]:
        customer, entries = self.repository.view(customer_id, latest)
        if customer is None:
            raise self.repository.missing(customer_id)
        return customer, entries


def _no_thread(customer_id: str, ticket_id: str, stored: dict | None) -> Exception:
    if stored is None:
        return NotFound(f"customer {customer_id} has no ticket {ticket_id}")
    if stored.get("type") != "ticket":
        return Conflict(
            f"interaction {ticket_id} is a {stored.get('type')}: messages go on tickets",
            [FieldProblem("ticket_id", "not a ticket")],
            code="not_a_ticket",
        )
    return Conflict(
        f"ticket {ticket_id} has {MAX_MESSAGES} messages, as many as one thread keeps: open a new ticket",
        [FieldProblem("text", "the thread is full")],
        code="thread_full",
    )
