"""Subscriptions: what a client may send, what is kept, renewals and the days reminders fall on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from dateutil.relativedelta import relativedelta
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, ValidationInfo, model_validator

from cis.domain.contact import Strict
from cis.domain.model import Model, empty_list, read_back
from cis.domain.moments import Day, Moment

MAX_LEAD_DAYS = 366
MAX_LEAD_TIMES = 10
PLAN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"


class SubscriptionStatus(StrEnum):
    """Where a subscription stands: only an active one renews and is reminded."""

    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Interval(StrEnum):
    """How far one renewal moves `renews_at`."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_STEP = {
    Interval.WEEK: relativedelta(weeks=1),
    Interval.MONTH: relativedelta(months=1),
    Interval.QUARTER: relativedelta(months=3),
    Interval.YEAR: relativedelta(years=1),
}


@cache
def _currencies() -> frozenset[str]:
    from babel.numbers import list_currencies  # babel's data: loaded by the first currency checked, not by every import

    return frozenset(list_currencies())


def _check_currency(value: str, info: ValidationInfo) -> str:
    if not read_back(info) and value not in _currencies():  # read back: as stored (cis.domain.model.STORED)
        raise ValueError("not an ISO 4217 currency code, such as EUR, USD or GBP")
    return value


Plan = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=PLAN_PATTERN),
    Field(description="Plan name, e.g. gym-monthly"),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_check_currency)]
Price = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4, description="Price per interval")]
BillingId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class SubscriptionFields(Strict):
    """Everything a client may set on a subscription."""

    plan: Plan
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE
    started_at: Moment | None = Field(default=None, description="When it began; now if left out")
    renews_at: Day = Field(description="The day it next renews (or ends, without auto-renew)")
    interval: Interval = Interval.MONTH
    auto_renew: bool = True
    price: Price
    currency: Currency
    billing_external_id: BillingId | None = Field(default=None, description="The subscription's id in billing")

    @model_validator(mode="after")
    def _renews_after_start(self) -> SubscriptionFields:
        if self.started_at is not None and self.renews_at < self.started_at.astimezone(UTC).date():
            raise ValueError("renews_at is before started_at")
        return self


class SubscriptionPatch(Strict):
    """A JSON merge patch: present fields replace, absent fields stay (null removes optional ones)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"auto_renew": False}]})

    plan: Plan | None = None
    status: SubscriptionStatus | None = None
    renews_at: Day | None = None
    interval: Interval | None = None
    auto_renew: bool | None = None
    price: Price | None = None
    currency: Currency | None = None
    billing_external_id: BillingId | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> SubscriptionPatch:
        if not self.model_fields_set:
            raise ValueError("the patch changes nothing: send at least one field")
        required = {"plan", "status", "renews_at", "interval", "auto_renew", "price", "currency"}
        nulled = sorted(name for name in self.model_fields_set & required if getattr(self, name) is None)
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be removed, only changed")
        return self

    def apply_to(self, current: SubscriptionFields) -> SubscriptionFields:
        """The subscription after this patch, validated as a whole (the same rules as a create)."""
        own = set(SubscriptionFields.model_fields)
        merged = current.model_dump(mode="json", include=own) | self.model_dump(
            mode="json", include=self.model_fields_set
        )
        return SubscriptionFields.model_validate(merged)


class Renewal(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"renews_at": "2027-02-28"}]})

    renews_at: Day | None = Field(
        default=None, description="The next renewal day; one interval after the current one if left out"
    )
    # A blind retry of a renewal must not move the day twice: name the day you saw (or send If-Match).
    expected_renews_at: Day | None = Field(
        default=None, description="The renewal day you read; when the subscription has moved on since, 412"
    )


class Reminder(Model):
    on: date = Field(description="The day the reminder is due")
    lead_days: int = Field(description="Days before the renewal")


class Subscription(SubscriptionFields):
    """A stored subscription, as the API shows it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    customer_id: str
    started_at: datetime
    version: int = Field(ge=1)
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    reminders: list[Reminder] = Field(default_factory=empty_list, description="Renewal reminders still to come")
    merged_from: str | None = Field(default=None, description="The merged-away customer it came from")


class SubscriptionList(Model):
    items: list[Subscription]


def renewed(subscription: Subscription, request: Renewal) -> date:
    """The next renewal day: the one asked for, or one interval on. Only later days are a renewal."""
    if subscription.status in (SubscriptionStatus.PAUSED, SubscriptionStatus.CANCELLED):
        raise ValueError(f"a {subscription.status} subscription does not renew: make it active first")
    following = request.renews_at or subscription.renews_at + _STEP[subscription.interval]
    if following <= subscription.renews_at:
        raise ValueError(f"renews_at must be after the current renewal day {subscription.renews_at.isoformat()}")
    return following


def lead_days_for(plan: str, lead_times: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
    """The plan's own lead times, or the default ones (key "*")."""
    return lead_times.get(plan, lead_times["*"])


def reminders_due(fields: SubscriptionFields, lead_days: tuple[int, ...], today: date) -> list[Reminder]:
    """The reminders still to come: an active subscription's renewal day minus each lead time,
    from today on (a reminder whose day has passed is not sent late)."""
    if fields.status != SubscriptionStatus.ACTIVE:
        return []
    days = (
        Reminder(on=fields.renews_at - timedelta(days=lead), lead_days=lead)
        for lead in sorted(set(lead_days), reverse=True)
    )
    return [reminder for reminder in days if reminder.on >= today]


def parse_lead_times(config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Lead times per plan from settings, e.g. {"*": [30, 7, 1], "gym-monthly": [15, 7, 1]}."""
    if "*" not in config:
        raise ValueError('reminder lead times need a default under "*"')
    parsed = {}
    for plan, days in config.items():
        if not isinstance(days, list) or len(days) > MAX_LEAD_TIMES:
            raise ValueError(f"lead times of {plan!r}: a list of at most {MAX_LEAD_TIMES} day counts")
        if not all(isinstance(day, int) and 0 <= day <= MAX_LEAD_DAYS for day in days):
            raise ValueError(f"lead times of {plan!r}: whole days from 0 to {MAX_LEAD_DAYS}")
        parsed[plan] = tuple(sorted(set(days), reverse=True))
    return parsed


def summary(subscription: Subscription) -> dict[str, Any]:
    """What the profile keeps of each subscription: the 360 view shows them without another read."""
    return subscription.model_dump(mode="json", exclude_none=True)
