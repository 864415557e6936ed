"""A renewal reminder as its event carries it: the renewal-reminders job announces it and the
notifier sends it. A leaf module: the job reads no customer, so it loads no customer model."""

from __future__ import annotations

from datetime import date

from cis.domain.model import Model


class RenewalDue(Model):
    """The detail of a subscription.renewal_due event: one reminder, due on `remind_on`."""

    customer_id: str
    subscription_id: str
    plan: str
    renews_at: date
    lead_days: int
    remind_on: date

    @property
    def key(self) -> tuple[str, str, int]:
        """What makes a reminder the same reminder: it goes out once, whatever repeats upstream."""
        return self.subscription_id, self.renews_at.isoformat(), self.lead_days

    @property
    def anchor(self) -> date:
        """The day its claim is kept from (a while past it)."""
        return self.renews_at
