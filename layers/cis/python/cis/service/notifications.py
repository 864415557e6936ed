"""The notifier's use cases: a due reminder or a check-in, each sent at most once, through a consented
channel, by day (outside the customer's quiet hours)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ulid import ULID

from cis.domain.customer import Customer
from cis.domain.moments import timestamp, utcnow
from cis.domain.notifications import (
    CHECK_IN_PURPOSES,
    PURPOSE,
    REPLY_PURPOSES,
    CheckInDue,
    Message,
    ReplyDue,
    Route,
    quiet_until,
    render,
    render_check_in,
    render_reply,
    route,
    zone_of,
)
from cis.domain.reminders import RenewalDue
from cis.domain.unsubscribe import CHANNELS as ONE_CLICK_CHANNELS
from cis.domain.unsubscribe import PURPOSES as ONE_CLICK_PURPOSES
from cis.domain.unsubscribe import with_link
from cis.errors import Merged
from cis.repository.notifications import Claim, NotificationRepository

ACTOR = "system:notifier"


class Sender(Protocol):
    def send(self, address: str, message: Message) -> str: ...


class Customers(Protocol):
    def get(self, customer_id: str) -> Customer | None: ...


class UnsubscribeLinks(Protocol):
    def url(self, customer_id: str, channel: str, purpose: str, address: str) -> str: ...


class Deferred(Exception):
    """Quiet hours where the customer lives: try again at `until`."""

    def __init__(self, until: datetime):
        super().__init__(f"quiet hours until {until.isoformat()}")
        self.until = until


class Busy(Exception):
    """Another sender holds this reminder's claim: try again after its lease."""


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | skipped | duplicate | stale
    reason: str = ""
    channel: str = ""


class Notifier:
    def __init__(
        self,
        customers: Customers,
        claims: NotificationRepository,
        senders: dict[str, Sender],
        clock: Callable[[], datetime] = utcnow,
        new_token: Callable[[], str] = lambda: str(ULID()),
        links: UnsubscribeLinks | None = None,
    ):
        self.customers, self.claims, self.senders, self.clock, self.new_token = (
            customers,
            claims,
            senders,
            clock,
            new_token,
        )
        self.links = links  # every marketing email and reminder carries one: none, and none is sent

    def _customer(self, customer_id: str) -> Customer | None:
        try:
            return self.customers.get(customer_id)
        except Merged as merged:  # merged since the job read the reminder: the survivor holds it now
            return self.customers.get(merged.survivor_id)

    def renewal_due(self, due: RenewalDue) -> Outcome:
        customer = self._customer(due.customer_id)
        if customer is not None and customer.status != "active":
            return Outcome("stale", "the customer is archived")  # no message, and no write to an archived customer
        subscription = (customer.subscriptions or {}).get(due.subscription_id) if customer else None
        if subscription is None or subscription.status != "active" or subscription.renews_at != due.renews_at:
            return Outcome("stale", "the subscription changed after the reminder fell due")
        entry = {
            "template": "renewal_reminder",
            "subscription_id": due.subscription_id,
            "renews_at": due.renews_at.isoformat(),
            "lead_days": due.lead_days,
        }
        return self._deliver(due, customer, (PURPOSE,), lambda: render(customer, subscription), entry)

    def check_in(self, due: CheckInDue) -> Outcome:
        customer = self._customer(due.customer_id)
        last = customer.engagement.last_activity_at if customer and customer.engagement else None
        if customer is None or customer.status != "active" or last != due.last_activity_at:
            return Outcome("stale", "the customer was active again, or left, after the check-in fell due")
        entry = {"template": "check_in", "threshold_days": due.threshold_days, "due_on": due.due_on.isoformat()}
        return self._deliver(due, customer, CHECK_IN_PURPOSES, lambda: render_check_in(customer), entry)

    def support_reply(self, due: ReplyDue) -> Outcome:
        customer = self._customer(due.customer_id)
        if customer is None or customer.status != "active":
            return Outcome("stale", "the customer is archived or gone")
        entry = {"template": "support_reply", "ticket_id": due.ticket_id}
        return self._deliver(due, customer, REPLY_PURPOSES, lambda: render_reply(customer), entry)

    def _deliver(
        self,
        due: RenewalDue | CheckInDue | ReplyDue,
        customer: Customer,
        purposes: tuple[str, ...],
        message_of: Callable[[], Message],
        entry: dict,
    ) -> Outcome:
        now = self.clock()
        chosen, reason = route(customer, now, purposes)
        if chosen is None:
            # No send, once, and staff see why.
            token = self._claim(due, now)
            if token is None:
                return Outcome("duplicate")
            outcome = Outcome("skipped", reason)
            self._complete(due, customer, now, outcome, token, entry | {"purpose": purposes[0]})
            return outcome
        until = quiet_until(now, zone_of(customer))
        if until is not None:
            raise Deferred(until)
        token = self._claim(due, now)
        if token is None:
            return Outcome("duplicate")
        message = message_of()
        try:
            if chosen.channel in ONE_CLICK_CHANNELS and chosen.purpose in ONE_CLICK_PURPOSES:
                message = with_link(message, self._unsubscribe_url(customer, chosen))
            provider_id = self.senders[chosen.channel].send(chosen.address, message)
        except Exception:
            self.claims.release(due.key, token)  # not sent: the retry may send
            raise
        outcome = Outcome("sent", "consented", chosen.channel)
        sent = {"purpose": chosen.purpose, "provider_message_id": provider_id, "language": message.language}
        self._complete(due, customer, now, outcome, token, entry | sent)
        return outcome

    def _unsubscribe_url(self, customer: Customer, chosen: Route) -> str:
        if self.links is None:
            raise RuntimeError(f"a {chosen.purpose} email needs an unsubscribe link: give the notifier its links")
        return self.links.url(customer.id, chosen.channel, chosen.purpose, chosen.address)

    def _claim(self, due: RenewalDue | CheckInDue | ReplyDue, now: datetime) -> str | None:
        """Our claim token, or None when the message was handled already."""
        token = self.new_token()
        claim = self.claims.claim(due.key, token, now, due.anchor)
        if claim is Claim.BUSY:
            raise Busy(f"message {due.key} is being handled by another worker")
        return token if claim is Claim.MINE else None

    def _complete(
        self,
        due: RenewalDue | CheckInDue | ReplyDue,
        customer: Customer,
        now: datetime,
        outcome: Outcome,
        token: str,
        entry: dict,
    ) -> None:
        entry = {
            "id": str(ULID.from_datetime(now)),
            "customer_id": customer.id,
            "type": "notification",
            "occurred_at": timestamp(now),
            "recorded_at": timestamp(now),
            "recorded_by": ACTOR,
            "status": "sent" if outcome.status == "sent" else "not_sent",
            "reason": outcome.reason,
            **{name: value for name, value in entry.items() if value is not None},
        }
        if outcome.channel:
            entry["channel"] = outcome.channel
        stored = {"status": outcome.status, "reason": outcome.reason, "completed_at": timestamp(now)}
        if outcome.channel:
            stored["channel"] = outcome.channel
        self.claims.complete(due.key, token, stored, entry)
