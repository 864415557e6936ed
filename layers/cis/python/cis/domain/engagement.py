"""What a customer's interactions add up to, kept on the profile: the counters, latest times and
weekly counts every interaction write updates, which the churn rules read without the timeline.

Its own module, apart from the interaction models that change it: every function that reads a
customer loads this, and only the timeline and the jobs load those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, computed_field

from cis.domain.model import Model


class Engagement(Model):
    """Kept current by every interaction write, in the same transaction."""

    first_seen_at: datetime | None = None
    last_activity_at: datetime | None = None
    last_order_at: datetime | None = None
    orders_count: int = 0
    lifetime_value: dict[str, Decimal] = Field(default_factory=dict, description="Per currency")
    open_tickets: int = 0
    feedback_count: int = 0
    rating_sum: int = Field(default=0, exclude=True)
    rating_count: int = Field(default=0, exclude=True)
    last_nps: int | None = None
    last_rating: int | None = None
    last_ticket_reopened_at: datetime | None = None
    last_viewed_at: datetime | None = Field(default=None, description="Last product viewed")
    last_cart_at: datetime | None = Field(default=None, description="Last cart change")
    last_checkout_at: datetime | None = Field(default=None, description="Last checkout started")
    # Per ISO week ("2026-W48"): the windows the churn rules compare, without reading the timeline.
    activity_weeks: dict[str, int] = Field(default_factory=dict, description="Activities per ISO week")
    order_weeks: dict[str, int] = Field(default_factory=dict, description="Orders per ISO week")
    failed_payment_weeks: dict[str, int] = Field(default_factory=dict, description="Failed payments per ISO week")

    @computed_field
    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


@dataclass
class EngagementChange:
    """What one interaction does to the engagement attributes, and to the profile's interests."""

    increments: dict[str, int | Decimal] = field(default_factory=dict)  # dotted paths under engagement
    latest: list[str] = field(default_factory=list)  # timestamps that become max(current, occurred_at)
    sets: dict[str, int] = field(default_factory=dict)
    # Paths under `interests` (cis.domain.interests) set or removed, only by the interaction that is the
    # latest by the engagement timestamp `guard`: a late-arriving older cart never replaces a newer one.
    interests: dict[str, Any] = field(default_factory=dict)
    interests_removed: tuple[str, ...] = ()
    guard: str = ""


# Per ISO week counts (engagement.<map>.<2026-W48>): what the churn rules compare, the last 30 days
# against the 90 before, without reading the timeline.
WEEKLY = ("activity_weeks", "order_weeks", "failed_payment_weeks")


def week_of(moment: date | datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"
