"""Messages as the customer receives them (renewal reminders, check-ins): which channel, when (never
at night), what they say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from string import Template
from zoneinfo import ZoneInfo

# Imported at the top: only the notifier imports this module, and it renders every message it sends.
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency

from cis.domain.consent import is_allowed
from cis.domain.customer import Customer
from cis.domain.model import Model
from cis.domain.subscriptions import Subscription

PURPOSE = "reminders"
CHANNELS = ("email", "sms", "push")  # the channels the notifier can send on, in default order
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)
DEFAULT_ZONE = "UTC"


CHECK_IN_PURPOSES = ("service", "marketing")  # either one in force on a channel allows a check-in


class CheckInDue(Model):
    """The detail of a customer.check_in_due event: quiet since `last_activity_at`, crossing the first
    inactivity threshold on `due_on`."""

    customer_id: str
    last_activity_at: datetime
    threshold_days: int
    due_on: date

    @property
    def key(self) -> tuple[str, str, str]:
        """One check-in per crossing: per customer and the day their quiet spell crossed the threshold."""
        return "CHECKIN", self.customer_id, self.due_on.isoformat()

    @property
    def anchor(self) -> date:
        return self.due_on


REPLY_PURPOSES = ("service",)  # an answer to what the customer asked: service, sent unless refused


class ReplyDue(Model):
    """The detail of a ticket.replied event: support wrote on a customer's ticket."""

    customer_id: str
    ticket_id: str
    interaction_id: str  # the reply's own id: one message per reply
    occurred_at: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        return "REPLY", self.customer_id, self.interaction_id

    @property
    def anchor(self) -> date:
        return self.occurred_at.date()


@dataclass(frozen=True)
class Route:
    channel: str
    address: str  # an email address, an E.164 number, or device endpoints (push)
    purpose: str = PURPOSE  # the consent it is sent under


def route(customer: Customer, at: datetime, purposes: tuple[str, ...] = (PURPOSE,)) -> tuple[Route | None, str]:
    """The channel to send on: the customer's preferred one first, each only with a consent for one of
    `purposes` in force and somewhere to send. Otherwise None and why (for the timeline)."""
    # Push exists for a customer once their app registered a device: before that it is no channel at all
    # (the reason stays no_consent, not a missing address nobody could have given).
    channels = [channel for channel in CHANNELS if channel != "push" or customer.devices]
    order = sorted(channels, key=lambda channel: channel != customer.preferred_channel)
    consents = customer.consents or {}
    allowed = []
    for channel in order:
        purpose = next((p for p in purposes if is_allowed(consents.get(f"{channel}:{p}"), p, at)), None)
        if purpose:
            allowed.append((channel, purpose))
    if not allowed:
        return None, "no_consent"
    for channel, purpose in allowed:
        address = _address(customer, channel)
        if address:
            return Route(channel, address, purpose), "consented"
    return None, "no_contact_for_consented_channel"


def _address(customer: Customer, channel: str) -> str | None:
    """Where to send: an email address, an E.164 number, or for push every device's endpoint (comma-separated)."""
    if channel == "push":
        return ",".join(device.endpoint for _, device in sorted((customer.devices or {}).items())) or None
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
    # A one-click unsubscribe link (cis.domain.unsubscribe): the email's List-Unsubscribe header.
    unsubscribe_url: str | None = None


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


def _greeting(customer: Customer, language: str) -> str:
    hello, anonymous = GREETINGS[language]
    name = customer.given_name or customer.display_name
    return Template(hello).substitute(name=name) if name else anonymous


CHECK_INS: dict[str, tuple[str, str]] = {
    "en": ("We haven't seen you in a while", "$greeting, we haven't seen you in a while. Is there anything we can do?"),
    "de": ("Wir haben Sie länger nicht gesehen", "$greeting, wir haben Sie länger nicht gesehen. Können wir helfen?"),
    "fr": ("Cela fait un moment", "$greeting, cela fait un moment que nous ne vous avons pas vu. Pouvons-nous aider ?"),
    "es": ("Hace tiempo que no te vemos", "$greeting, hace tiempo que no te vemos. ¿Podemos ayudarte en algo?"),
}


REPLIES: dict[str, tuple[str, str]] = {
    "en": (
        "Support replied to your request",
        "$greeting, our support team replied to your request. Open the app to read it.",
    ),
    "de": (
        "Antwort vom Kundenservice",
        "$greeting, unser Kundenservice hat auf Ihre Anfrage geantwortet. Öffnen Sie die App, um sie zu lesen.",
    ),
    "fr": (
        "Réponse du service client",
        "$greeting, notre service client a répondu à votre demande. Ouvrez l'application pour la lire.",
    ),
    "es": (
        "Respuesta de atención al cliente",
        "$greeting, nuestro equipo de atención al cliente ha respondido a tu consulta. Abre la app para leerla.",
    ),
}


def render_reply(customer: Customer) -> Message:
    """That support replied, in the customer's language; the reply itself stays in the app (no text of
    a support conversation goes out by SMS or email)."""
    language = _locale(customer).language
    language = language if language in REPLIES else "en"
    subject, text = REPLIES[language]
    return Message(subject, Template(text).substitute(greeting=_greeting(customer, language)), language)


def render_check_in(customer: Customer) -> Message:
    """The check-in in the customer's language (English when there is no text in theirs)."""
    language = _locale(customer).language
    language = language if language in CHECK_INS else "en"
    subject, text = CHECK_INS[language]
    return Message(subject, Template(text).substitute(greeting=_greeting(customer, language)), language)


def render(customer: Customer, subscription: Subscription) -> Message:
    """The reminder in the customer's language, with the day and the price written their way."""
    locale = _locale(customer)
    if locale.language not in TEMPLATES:  # no text in their language: English throughout, dates included
        locale = Locale.parse("en")
    language = locale.language
    texts, renews = TEMPLATES[language], subscription.auto_renew
    values = {
        "greeting": _greeting(customer, language),
        "plan": subscription.plan,
        "day": format_date(subscription.renews_at, format="long", locale=locale),
        "price": format_currency(subscription.price, subscription.currency, locale=locale),
    }
    return Message(
        subject=Template(texts["subject"][renews]).substitute(values),
        text=Template(texts["text"][renews]).substitute(values),
        language=language,
    )
