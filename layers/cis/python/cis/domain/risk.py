"""What the profile keeps of a churn assessment: the score, the level and the reasons behind it.

Its own module, apart from the rules that produce it (cis.domain.churn): every function that reads a
customer loads this, and only the stream processor, the timeline and the churn check load the rules.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import ConfigDict, Field

from cis.domain.model import Model


class ChurnLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ChurnReasonCode(StrEnum):
    INACTIVE = "inactive"
    ACTIVITY_DROP = "activity_drop"
    ORDER_DROP = "order_drop"
    OPEN_TICKETS = "open_tickets"
    TICKET_REOPENED = "ticket_reopened"
    LOW_RATING = "low_rating"
    SUBSCRIPTION_ENDED = "subscription_ended"
    AUTO_RENEW_OFF = "auto_renew_off"
    FAILED_PAYMENTS = "failed_payments"


class ChurnReason(Model):
    """One reason behind a churn score: its code, its points and the numbers that triggered it."""

    model_config = ConfigDict(extra="allow")  # numbers a newer rule adds reach clients before a release

    code: ChurnReasonCode
    points: int
    days_since_activity: int | None = Field(default=None, description="inactive")
    usual_gap_days: float | None = Field(default=None, description="inactive: the customer's usual days between")
    recent: int | None = Field(default=None, description="activity_drop, order_drop: how many in the recent window")
    recent_days: int | None = Field(default=None, description="activity_drop, order_drop: the recent window's days")
    monthly_before: float | None = Field(default=None, description="activity_drop, order_drop: per 30 days before")
    drop: float | None = Field(default=None, description="activity_drop, order_drop: the fall, 0 to 1")
    open_tickets: int | None = Field(default=None, description="open_tickets")
    days_since_reopened: int | None = Field(default=None, description="ticket_reopened")
    last_rating: int | None = Field(default=None, description="low_rating: 1-5 stars")
    last_nps: int | None = Field(default=None, description="low_rating: 0-10")
    subscription_id: str | None = Field(default=None, description="subscription_ended")
    status: str | None = Field(default=None, description="subscription_ended: cancelled or expired")
    days_ago: int | None = Field(default=None, description="subscription_ended")
    subscription_ids: list[str] | None = Field(default=None, description="auto_renew_off")
    failed_payments_90_days: int | None = Field(default=None, description="failed_payments")


class ChurnRisk(Model):
    """What the profile keeps of the latest assessment (the churn-check job writes it)."""

    score: int = Field(ge=0, le=100)
    level: ChurnLevel
    reasons: list[ChurnReason] = Field(description="Strongest first: code, points and the numbers behind each")
    assessed_on: date
