"""Renewal reminders as the customer receives them: which channel, when (never at night), what it says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from string import Template
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency
from pydantic import BaseModel

from cis.domain.consent import is_allowed
from cis.domain.customer import Customer
from cis.domain.subscriptions import Subscription

PURPOSE = "reminders"
CHANNELS = ("email", "sms")  # the channels the notifier can send on, in default order
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)
DEFAULT_ZONE = "UTC"


class RenewalDue(BaseModel):
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


@dataclass(frozen=True)
class Route:
    channel: str
    address: str  # an email address or an E.164 number


def route(customer: Customer, at: datetime) -> tuple[Route | None, str]:
    """The channel to send on: the customer's preferred one first, each only with a reminders
    consent in force and somewhere to send. Otherwise None and why (for the timeline)."""
    order = sorted(CHANNELS, key=lambda channel: channel != customer.preferred_channel)
    consents = customer.consents or {}
    allowed = [c for c in order if is_allowed(consents.get(f"{c}:{PURPOSE}"), PURPOSE, at)]
    if not allowed:
        return None, "no_consent"
    for channel in allowed:
        address = _address(customer, channel)
        if address:
            return Route(channel, address), "consented"
    return None, "no_contact_for_consented_channel"


def _address(customer: Customer, channel: str) -> str | None:
    entries = customer.emails if channel == "email" else customer.phones
    if not entries:
        return None
    chosen = next((entry for entry in entries if entry.primary), entries[0])
    return chosen.address if channel == "email" else chosen.number


def zone_of(customer: Customer) -> ZoneInfo:
    return ZoneInfo(customer.time_zone or DEFAULT_ZONE)


def quiet_until(at: datetime, zone: ZoneInfo) -> datetime | None:
    """When the customer's quiet hours (21:00 to 08:00 their time) end, if `at` falls in them."""
    local = at.astimezone(zone)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() + timedelta(days=1) if local.time() >= QUIET_FROM else local.date()
    return datetime.combine(day, QUIET_UNTIL, tzinfo=zone)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    language: str


# One text per language; the customer's locale picks it (en-GB -> en), English when there is none.
TEMPLATES: dict[str, dict[str, dict[bool, str]]] = {
    "en": {
        "subject": {True: "Your $plan subscription renews on $day", False: "Your $plan subscription ends on $day"},
        "text": {
            True: "$greeting, your $plan subscription renews on $day for $price. Nothing to do if you want to keep it.",
            False: "$greeting, your $plan subscription ends on $day. Renew it to keep it going ($price).",
        },
    },
    "de": {
        "subject": {True: "Ihr Abo $plan verlängert sich am $day", False: "Ihr Abo $plan endet am $day"},
        "text": {
            True: "$greeting, Ihr Abo $plan verlängert sich am $day für $price. "
            "Sie müssen nichts tun, wenn Sie es behalten möchten.",
            False: "$greeting, Ihr Abo $plan endet am $day. Verlängern Sie es, um es zu behalten ($price).",
        },
    },
    "fr": {
        "subject": {
            True: "Votre abonnement $plan sera renouvelé le $day",
            False: "Votre abonnement $plan prend fin le $day",
        },
        "text": {
            True: "$greeting, votre abonnement $plan sera renouvelé le $day pour $price. Rien à faire pour le garder.",
            False: "$greeting, votre abonnement $plan prend fin le $day. Renouvelez-le pour le garder ($price).",
        },
    },
    "es": {
        "subject": {True: "Tu suscripción $plan se renueva el $day", False: "Tu suscripción $plan termina el $day"},
        "text": {
            True: "$greeting, tu suscripción $plan se renueva el $day por $price. "
            "No tienes que hacer nada para mantenerla.",
            False: "$greeting, tu suscripción $plan termina el $day. Renuévala para mantenerla ($price).",
        },
    },
}


GREETINGS = {
    "en": ("Hello $name", "Hello"),
    "de": ("Hallo $name", "Guten Tag"),
    "fr": ("Bonjour $name", "Bonjour"),
    "es": ("Hola $name", "Hola"),
}


def _locale(customer: Customer) -> Locale:
    try:
        return Locale.parse((customer.locale or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def render(customer: Customer, subscription: Subscription) -> Message:
    """The reminder in the customer's language, with the day and the price written their way."""
    locale = _locale(customer)
    if locale.language not in TEMPLATES:  # no text in their language: English throughout, dates included
        locale = Locale.parse("en")
    language = locale.language
    texts, renews = TEMPLATES[language], subscription.auto_renew
    hello, anonymous = GREETINGS[language]
    name = customer.given_name or customer.display_name
    values = {
        "greeting": Template(hello).substitute(name=name) if name else anonymous,
        "plan": subscription.plan,
        "day": format_date(subscription.renews_at, format="long", locale=locale),
        "price": format_currency(subscription.price, subscription.currency, locale=locale),
    }
    return Message(
        subject=Template(texts["subject"][renews]).substitute(values),
        text=Template(texts["text"][renews]).substitute(values),
        language=language,
    )
