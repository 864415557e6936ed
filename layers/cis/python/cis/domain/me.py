"""What a signed-in customer sees of their own record and may change: the customer side's models.

Staff see the whole record; a customer sees what is about them and what they gave us, never the
business's working notes on the record (tags, churn risk, likely duplicates: those name other people),
and changes the fields that are theirs to keep current. Contacts (emails, phones) are not among them:
a new contact needs verifying first, which the customer pool does."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from cis.domain.consent import CHANNELS, PURPOSES, ConsentState, is_allowed
from cis.domain.contact import Email, EmailAddress, Phone, PhoneNumber, PostalAddress, Strict
from cis.domain.customer import Addresses, DisplayName, Locale, Name, PreferredChannel, TimeZone
from cis.domain.model import STORED, Model
from cis.domain.moments import Day
from cis.domain.subscriptions import Interval, SubscriptionStatus
from cis.domain.texts import LongText, Text, one_score

# What each purpose is used for, in the words the preference centre shows.
PURPOSE_TEXT = {
    "marketing": "Offers, news and recommendations we think you will like",
    "reminders": "Reminders before a subscription renews, and check-ins when we have not seen you for a while",
    "service": "Messages about what you ordered or asked us: order updates, replies from support, account notices",
}
CHANNEL_TEXT = {
    "email": "by email",
    "sms": "by text message",
    "push": "by notifications in our app",
    "phone": "by phone call",
    "post": "by letter",
}


class MyProfile(Model):
    """Your profile as we hold it. Change names, addresses, language, time zone and preferred channel
    with PATCH /v1/me; send its version back in If-Match."""

    id: str = Field(description="Your customer number with us")
    given_name: str | None = None
    family_name: str | None = None
    display_name: str | None = None
    emails: list[EmailAddress] = Field(default_factory=list)
    phones: list[PhoneNumber] = Field(default_factory=list)
    addresses: list[PostalAddress] = Field(default_factory=list)
    birthday: Day | None = None
    locale: str | None = None
    time_zone: str | None = None
    preferred_channel: PreferredChannel | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    open_tickets: int = Field(default=0, description="Your support requests still open")
    orders_count: int = Field(default=0, description="Orders you have placed")


class MyProfilePatch(Strict):
    """A JSON merge patch of the fields that are yours to keep current: present fields replace, null removes."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"locale": "en-GB", "preferred_channel": "sms"}]})

    given_name: Name | None = None
    family_name: Name | None = None
    display_name: DisplayName | None = None
    addresses: Addresses | None = None
    locale: Locale | None = None
    time_zone: TimeZone | None = None
    preferred_channel: PreferredChannel | None = None

    def changes(self) -> dict[str, Any]:
        """The patch as the staff patch takes it (CustomerPatch fields), at least one field."""
        if not self.model_fields_set:
            raise ValueError("the patch changes nothing: send at least one field")
        return self.model_dump(mode="json", include=self.model_fields_set)


class Preference(Model):
    channel: str
    purpose: str
    allowed: bool = Field(description="Whether we may contact you this way for this now")
    status: str = Field(description="granted, denied or withdrawn; not_asked when you never told us")
    changed_at: datetime | None = None
    description: str = Field(description="What this is used for, in plain words")


class Preferences(Model):
    items: list[Preference] = Field(description="Every channel and purpose")


class MyConsent(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "withdrawn"}]})

    status: Literal["granted", "withdrawn"] = Field(description="granted: yes, please; withdrawn: no more")


class MyOrderLine(Model):
    product_id: str
    quantity: int
    unit_price: Decimal | None = None


class MyOrder(Model):
    id: str = Field(description="The order's id here (use it with GET /v1/me/orders/{order_id})")
    order_number: str = Field(description="The shop's order number")
    status: str
    amount: Decimal
    currency: str
    line_items: list[MyOrderLine] = Field(default_factory=list)
    ordered_at: datetime


class MyOrderPage(Model):
    items: list[MyOrder]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page; null at the end")


class MySubscription(Model):
    id: str
    plan: str
    status: SubscriptionStatus
    renews_at: Day = Field(description="The day it next renews, or ends when automatic renewal is off")
    interval: Interval
    auto_renew: bool
    price: Decimal
    currency: str
    version: int


class MySubscriptions(Model):
    items: list[MySubscription]


class MySubscriptionChange(Strict):
    """Switch automatic renewal off (or on again), or cancel."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"auto_renew": False}]})

    auto_renew: bool | None = None
    status: Literal["cancelled"] | None = Field(default=None, description="cancelled: end it now")

    def changes(self) -> dict[str, Any]:
        if not self.model_fields_set:
            raise ValueError("send auto_renew or status")
        return self.model_dump(mode="json", include=self.model_fields_set, exclude_none=True)


class MyTicketIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"subject": "Wrong size", "body": "The shoes I got are too small"}]}
    )

    subject: Text
    body: LongText
    category: Text | None = Field(default=None, description="What it is about, if the app offers a choice")


class MyMessage(Model):
    id: str
    author: Literal["customer", "staff"] = Field(description="customer: you; staff: our support team")
    text: str
    sent_at: datetime


class MyTicket(Model):
    id: str
    subject: str
    body: str
    category: str | None = None
    status: str = Field(description="open, pending (waiting for you) or solved")
    opened_at: datetime
    last_message_at: datetime | None = None
    messages: list[MyMessage] = Field(default_factory=list, description="The thread, oldest first")


class MyTicketPage(Model):
    items: list[MyTicket] = Field(description="Newest first; each without its messages (GET the ticket for them)")
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page; null at the end")


class MyFeedback(Strict):
    """A rating (1-5 stars) or a Net Promoter Score answer (0-10), with a comment if you like."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"rating": 5, "comment": "Quick delivery"}]})

    rating: int | None = Field(default=None, ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    comment: LongText | None = None
    topic: Text | None = Field(default=None, description="What it is about: an order, the app, a visit...")

    @model_validator(mode="after")
    def _one_score(self) -> MyFeedback:
        one_score(self.rating, self.nps)
        return self


class FeedbackThanks(Model):
    id: str
    received_at: datetime


class MyErasureRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "I no longer use the service"}]})

    reason: Text | None = Field(default=None, description="Why, if you would like to tell us")


CODE_TTL_MINUTES = 15
MAX_CODE_ATTEMPTS = 5


class NewContact(Strict):
    """An email address or phone number to add to your profile: we send it a code first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "ada.new@example.com"}]})

    email: Email | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _one(self) -> NewContact:
        if (self.email is None) == (self.phone is None):
            raise ValueError("give exactly one of email or phone")
        return self

    @property
    def kind(self) -> str:
        return "email" if self.email is not None else "phone"

    @property
    def value(self) -> str:
        return self.email if self.email is not None else self.phone


class ContactCheck(NewContact):
    """The code we sent to the new contact; with it, the contact becomes your primary one."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "ada.new@example.com", "code": "042917"}]})

    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] = Field(description="The 6 digits we sent")
    keep_previous: bool = Field(default=False, description="true: keep the current primary one as well")


class CodeSent(Model):
    channel: Literal["email", "sms"]
    expires_at: datetime = Field(description="Send the code back before this (POST /v1/me/contacts/verify)")


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_digest(customer_id: str, kind: str, value: str, code: str) -> str:
    """What is kept of a code: bound to the customer and the contact it was sent to."""
    return hashlib.sha256(f"{customer_id}|{kind}|{value}|{code}".encode()).hexdigest()


def contact_digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}|{value}".encode()).hexdigest()


class ErasureRequested(Model):
    status: Literal["scheduled"] = "scheduled"
    requested_at: datetime
    erase_on: Day = Field(description="The day your data is erased; until then, ask support to stop it")


def profile_of(customer: Any) -> MyProfile:
    """The customer's own view of their stored record. Its contacts and country codes were validated
    and normalized by the record's model (STORED): checking them again would load phonenumbers at a
    profile read only to find them unchanged."""
    engagement = customer.engagement
    return MyProfile.model_validate(
        customer.model_dump(include=set(MyProfile.model_fields) - {"open_tickets", "orders_count"})
        | {
            "open_tickets": getattr(engagement, "open_tickets", 0) or 0,
            "orders_count": getattr(engagement, "orders_count", 0) or 0,
        },
        context=STORED,
    )


def preferences_of(consents: dict[str, ConsentState], now: datetime) -> Preferences:
    """Every channel x purpose, with what is in force and what it is for."""
    items = []
    for purpose in PURPOSES:
        for channel in CHANNELS:
            state = consents.get(f"{channel}:{purpose}")
            items.append(
                Preference(
                    channel=channel,
                    purpose=purpose,
                    allowed=is_allowed(state, purpose, now),
                    status=state.status if state else "not_asked",
                    changed_at=state.captured_at if state else None,
                    description=f"{PURPOSE_TEXT[purpose]}, {CHANNEL_TEXT[channel]}",
                )
            )
    return Preferences(items=items)


def order_of(entry: dict) -> MyOrder:
    """What a customer may see of an order entry of their timeline."""
    return MyOrder(
        id=entry["id"],
        order_number=entry["external_order_id"],
        status=entry.get("status", "placed"),
        amount=entry["amount"],
        currency=entry["currency"],
        line_items=[MyOrderLine.model_validate(line) for line in entry.get("line_items") or []],
        ordered_at=entry["occurred_at"],
    )


def subscription_of(subscription: Any) -> MySubscription:
    return MySubscription.model_validate(subscription.model_dump(include=set(MySubscription.model_fields)))


def ticket_of(entry: dict, thread: list[dict] = ()) -> MyTicket:
    """What a customer sees of their ticket: what they asked, where it stands, the messages."""
    messages = [
        MyMessage(id=m["id"], author=m["author"], text=m["text"], sent_at=m["occurred_at"])
        for m in thread
        if m.get("text")
    ]
    return MyTicket(
        id=entry["id"],
        subject=entry["subject"],
        body=entry["body"],
        category=entry.get("category"),
        status=entry.get("status", "open"),
        opened_at=entry["occurred_at"],
        last_message_at=entry.get("last_message_at"),
        messages=messages,
    )
