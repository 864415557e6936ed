"""What happened with a customer: typed interactions on their timeline, and what each changes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from cis.domain.contact import Strict
from cis.domain.engagement import Engagement as Engagement  # its home until it had its own module
from cis.domain.engagement import EngagementChange, week_of
from cis.domain.model import empty_list
from cis.domain.moments import OccurredAt
from cis.domain.texts import MAX_MESSAGES as MAX_MESSAGES
from cis.domain.texts import LongText, Text, one_score
from cis.domain.texts import TicketMessage as TicketMessage

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217 code, e.g. EUR")]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=4, description="Exact decimal, e.g. 19.99")]


class OrderStatus(StrEnum):
    """Where an order stands; payment_failed: billing reports a charge that did not go through."""

    PLACED = "placed"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PAYMENT_FAILED = "payment_failed"


class TicketPriority(StrEnum):
    """How urgent a ticket is."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ActivityKind(StrEnum):
    """What the customer did."""

    LOGIN = "login"
    VISIT = "visit"
    CART_ABANDONED = "cart_abandoned"
    APP_OPEN = "app_open"
    STORE_VISIT = "store_visit"


class ActivityChannel(StrEnum):
    """Where the customer did it."""

    WEB = "web"
    APP = "app"
    STORE = "store"
    EMAIL = "email"
    PHONE = "phone"
    OTHER = "other"


class LineItem(Strict):
    # One schema for requests and responses (a price is a number or its text either way): generated
    # clients would otherwise get two LineItem models and refuse the clash.
    model_config = ConfigDict(json_schema_mode_override="validation")

    product_id: Text
    quantity: int = Field(ge=1, le=100_000)
    unit_price: Money | None = None


class Order(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"type": "order", "external_order_id": "A-1001", "amount": "49.90", "currency": "EUR"}]
        }
    )

    type: Literal["order"]
    external_order_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:/-]{1,64}$")]
    amount: Money
    currency: Currency
    # payment_failed: billing reports a charge that did not go through (a churn signal, not a sale).
    status: OrderStatus = OrderStatus.PLACED
    line_items: list[LineItem] = Field(default_factory=empty_list, max_length=200)
    occurred_at: OccurredAt = None


class TicketStatus(StrEnum):
    """Where a support ticket stands."""

    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"


OPEN_TICKET = ("open", "pending")


class Ticket(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"type": "ticket", "subject": "Wrong size", "body": "The shoes are too small"}]}
    )

    type: Literal["ticket"]
    subject: Text
    body: LongText
    category: Text | None = None
    priority: TicketPriority = TicketPriority.NORMAL
    status: TicketStatus = TicketStatus.OPEN
    assigned_team: Text | None = None
    occurred_at: OccurredAt = None


class Feedback(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"type": "feedback", "rating": 5, "comment": "Quick delivery"}]}
    )

    type: Literal["feedback"]
    rating: int | None = Field(default=None, ge=1, le=5, description="1-5 stars")
    nps: int | None = Field(default=None, ge=0, le=10, description="Net Promoter Score answer, 0-10")
    comment: LongText | None = None
    topic: Text | None = None
    source: Text | None = None
    occurred_at: OccurredAt = None

    @model_validator(mode="after")
    def _one_score(self) -> Feedback:
        one_score(self.rating, self.nps)
        return self


class Note(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"type": "note", "text": "Prefers a call in the morning"}]}
    )

    type: Literal["note"]
    text: LongText
    occurred_at: OccurredAt = None


class Activity(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"type": "activity", "activity": "login", "channel": "app"}]}
    )

    type: Literal["activity"]
    activity: ActivityKind
    channel: ActivityChannel
    occurred_at: OccurredAt = None


InteractionIn = Annotated[Order | Ticket | Feedback | Note | Activity, Field(discriminator="type")]
INTERACTION_TYPES = ("order", "ticket", "feedback", "note", "activity")
# Consent changes and the notifications sent (or not, and why) show on the timeline too.
TIMELINE_TYPES = (*INTERACTION_TYPES, "consent", "notification")


class TicketUpdate(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "solved", "assigned_team": "returns"}]})

    status: TicketStatus
    assigned_team: Text | None = None


def engagement_change(
    interaction: Order | Ticket | Feedback | Note | Activity, occurred_at: datetime
) -> EngagementChange:
    change = EngagementChange()
    week = week_of(occurred_at)
    if not isinstance(interaction, Note):  # a staff note is not the customer doing something
        change.latest.append("last_activity_at")
        change.increments[f"activity_weeks.{week}"] = 1
    if isinstance(interaction, Order) and interaction.status == "payment_failed":
        change.increments[f"failed_payment_weeks.{week}"] = 1
    elif isinstance(interaction, Order):
        change.latest.append("last_order_at")
        change.increments["orders_count"] = 1
        change.increments[f"order_weeks.{week}"] = 1
        if interaction.status != "cancelled":
            change.increments[f"lifetime_value.{interaction.currency}"] = interaction.amount
    elif isinstance(interaction, Ticket) and interaction.status in OPEN_TICKET:
        change.increments["open_tickets"] = 1
    elif isinstance(interaction, Feedback):
        change.increments["feedback_count"] = 1
        if interaction.rating is not None:
            change.increments["rating_sum"] = interaction.rating
            change.increments["rating_count"] = 1
            change.sets["last_rating"] = interaction.rating
        else:
            change.sets["last_nps"] = interaction.nps
    return change


def open_tickets_delta(before: str, after: str) -> int:
    return int(after in OPEN_TICKET) - int(before in OPEN_TICKET)
