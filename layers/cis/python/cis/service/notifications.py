"""The notifier's use case: one due reminder, sent at most once, through a consented channel, by day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ulid import ULID

from cis.domain.customer import Customer
from cis.domain.notifications import PURPOSE, Message, RenewalDue, quiet_until, render, route, zone_of
from cis.errors import Merged
from cis.repository.keys import timestamp
from cis.repository.notifications import Claim, NotificationRepository
from cis.service.customers import utcnow

ACTOR = "system:notifier"


class Sender(Protocol):
    def send(self, address: str, message: Message) -> str: ...


class Customers(Protocol):
    def get(self, customer_id: str) -> Customer | None: ...


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
    ):
        self.customers, self.claims, self.senders, self.clock, self.new_token = (
            customers,
            claims,
            senders,
            clock,
            new_token,
        )

    def _customer(self, customer_id: str) -> Customer | None:
        try:
            return self.customers.get(customer_id)
        except Merged as merged:  # merged since the job read the reminder: the survivor holds it now
            return self.customers.get(merged.survivor_id)

    def renewal_due(self, due: RenewalDue) -> Outcome:
        customer = self._customer(due.customer_id)
        subscription = (customer.subscriptions or {}).get(due.subscription_id) if customer else None
        if subscription is None or subscription.status != "active" or subscription.renews_at != due.renews_at:
            return Outcome("stale", "the subscription changed after the reminder fell due")
        now = self.clock()
        chosen, reason = route(customer, now)
        if chosen is None:
            # No send, once, and staff see why.
            token = self._claim(due, now)
            if token is None:
                return Outcome("duplicate")
            outcome = Outcome("skipped", reason)
            self._complete(due, customer, now, outcome, token, None, None)
            return outcome
        until = quiet_until(now, zone_of(customer))
        if until is not None:
            raise Deferred(until)
        token = self._claim(due, now)
        if token is None:
            return Outcome("duplicate")
        message = render(customer, subscription)
        try:
            provider_id = self.senders[chosen.channel].send(chosen.address, message)
        except Exception:
            self.claims.release(due.key, token)  # not sent: the retry may send
            raise
        outcome = Outcome("sent", "consented", chosen.channel)
        self._complete(due, customer, now, outcome, token, provider_id, message.language)
        return outcome

    def _claim(self, due: RenewalDue, now: datetime) -> str | None:
        """Our claim token, or None when the reminder was handled already."""
        token = self.new_token()
        claim = self.claims.claim(due.key, token, now)
        if claim is Claim.BUSY:
            raise Busy(f"reminder {due.key} is being handled by another worker")
        return token if claim is Claim.MINE else None

    def _complete(
        self,
        due: RenewalDue,
        customer: Customer,
        now: datetime,
        outcome: Outcome,
        token: str,
        provider_id: str | None,
        language: str | None,
    ) -> None:
        entry = {
            "id": str(ULID.from_datetime(now)),
            "customer_id": customer.id,
            "type": "notification",
            "occurred_at": timestamp(now),
            "recorded_at": timestamp(now),
            "recorded_by": ACTOR,
            "template": "renewal_reminder",
            "purpose": PURPOSE,
            "status": "sent" if outcome.status == "sent" else "not_sent",
            "reason": outcome.reason,
            "subscription_id": due.subscription_id,
            "renews_at": due.renews_at.isoformat(),
            "lead_days": due.lead_days,
        }
        if outcome.channel:
            entry["channel"] = outcome.channel
        if provider_id:
            entry["provider_message_id"] = provider_id
        if language:
            entry["language"] = language
        stored = {"status": outcome.status, "reason": outcome.reason, "completed_at": timestamp(now)}
        if outcome.channel:
            stored["channel"] = outcome.channel
        self.claims.complete(due.key, token, stored, entry)
