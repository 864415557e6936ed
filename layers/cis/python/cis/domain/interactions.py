"""What happened with a customer: typed interactions on their timeline, and what each changes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from cis.domain import interests
from cis.domain.contact import Strict
from cis.domain.engagement import Engagement as Engagement  # its home until it had its own module
from cis.domain.engagement import EngagementChange, week_of
from cis.domain.interests import Cart, Currency, Money, Price
from cis.domain.model import empty_list
from cis.domain.moments import OccurredAt, timestamp
from cis.domain.texts import MAX_MESSAGES as MAX_MESSAGES
from cis.domain.texts import LongText, Text, one_score
from cis.domain.texts import TicketMessage as TicketMessage


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
    PRODUCT_VIEWED = "product_viewed"  # product_id; category, price, url
    CART_UPDATED = "cart_updated"  # cart: every line now in it
    CHECKOUT_STARTED = "checkout_started"  # step


# The fields each activity kind takes beyond type, activity, channel and occurred_at (and needs: first).
ACTIVITY_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ActivityKind.PRODUCT_VIEWED: (("product_id",), ("product_id", "category", "price", "currency", "url")),
    ActivityKind.CART_UPDATED: (("cart",), ("cart",)),
    ActivityKind.CHECKOUT_STARTED: ((), ("step",)),
}


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
        json_schema_extra={
            "examples": [
                {"type": "activity", "activity": "login", "channel": "app"},
                {
                    "type": "activity",
                    "activity": "product_viewed",
                    "channel": "web",
                    "product_id": "boot-204",
                    "category": "hiking",
                    "price": "120.00",
                    "currency": "EUR",
                    "url": "https://shop.example.com/p/boot-204",
                },
                {
                    "type": "activity",
                    "activity": "cart_updated",
                    "channel": "web",
                    "cart": {
                        "lines": [{"product_id": "boot-204", "quantity": 1, "price": "120.00"}],
                        "currency": "EUR",
                    },
                },
            ]
        }
    )

    type: Literal["activity"]
    activity: ActivityKind
    channel: ActivityChannel
    product_id: Text | None = Field(default=None, description="product_viewed: the product")
    category: Text | None = Field(default=None, description="product_viewed: the product's category")
    price: Price | None = Field(default=None, description="product_viewed: the price shown")
    currency: Currency | None = Field(default=None, description="product_viewed: the price's currency")
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S{1,2000}$")] | None = Field(
        default=None, description="product_viewed: the page"
    )
    cart: Cart | None = Field(default=None, description="cart_updated: the whole cart as it is now")
    step: Text | None = Field(default=None, description="checkout_started: the step reached, e.g. shipping")
    occurred_at: OccurredAt = None

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> Activity:
        needed, allowed = ACTIVITY_FIELDS.get(self.activity, ((), ()))
        given = {name for name in ("product_id", "category", "price", "currency", "url", "cart", "step")}
        given = {name for name in given if getattr(self, name) is not None}
        if missing := [name for name in needed if name not in given]:
            raise ValueError(f"a {self.activity} activity needs {', '.join(missing)}")
        if extra := sorted(given - set(allowed)):
            raise ValueError(f"{', '.join(extra)} do not go with a {self.activity} activity")
        if (self.price is None) != (self.currency is None):
            raise ValueError("price and currency go together")
        return self


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
        change.interests_removed, change.guard = interests.ORDERED, "last_cart_at"  # bought after the cart
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
    elif isinstance(interaction, Activity):
        _browsing(interaction, timestamp(occurred_at), change)
    return change


def _browsing(activity: Activity, at: str, change: EngagementChange) -> None:
    """What a shop activity keeps on the profile's interests, if it is the latest of its kind."""
    if activity.activity == ActivityKind.PRODUCT_VIEWED:
        change.guard = "last_viewed_at"
        change.interests = interests.product_view(activity.product_id, activity.category, activity.price, at)
    elif activity.activity == ActivityKind.CART_UPDATED:
        change.guard = "last_cart_at"
        change.interests = interests.cart_update(activity.cart, at)
    elif activity.activity == ActivityKind.CHECKOUT_STARTED:
        change.guard = "last_checkout_at"
        change.interests = interests.checkout_start(activity.step, at)
    if change.guard:
        change.latest.append(change.guard)


def open_tickets_delta(before: str, after: str) -> int:
    return int(after in OPEN_TICKET) - int(before in OPEN_TICKET)
