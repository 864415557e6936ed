"""One-click unsubscribe links (RFC 8058): what a link's token says, how long it holds, the words around it.

A token is `u1.<customer id>.<channel>.<purpose>.<address digest>.<issued at>.<mac>`, every part URL-safe:

- the customer, the channel (email) and the purpose (marketing or reminders) it withdraws: the one
  decision it can make, and never a grant;
- a digest of the address it was sent to (SHA-256 of the customer id and the lower-cased address, 128
  bits, base64url): a link acts only while that address is still one of the customer's, so a link sent
  to an address the customer has since dropped (recycled, mistyped, someone else's) withdraws nothing.
  It is salted by the customer id so it cannot be matched across customers, but it is not secret: it
  only proves which address got the link;
- when it was issued (Unix seconds): links hold LIFETIME, a year. RFC 8058 asks only that they keep
  working; CAN-SPAM wants 30 days at least, and mail clients show the unsubscribe button on old mail
  too. A link can only withdraw, so one found late does little harm; an expired one is refused;
- an HMAC-SHA-256 of all of the above, made and checked by a KMS HMAC key (no secret in any function).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from string import Template
from typing import TYPE_CHECKING

from cis.errors import BadLink

if TYPE_CHECKING:  # the unsubscribe function loads none of the notifier's rendering (babel)
    from cis.domain.notifications import Message

VERSION = "u1"
LIFETIME = timedelta(days=365)
CLOCK_SKEW = timedelta(minutes=5)  # a link issued "in the future" by a little: clocks differ
# What a person may refuse by one click: the purposes that need their grant. Service messages (an answer
# to their own request) carry no link: refusing them is a decision for the preference centre.
PURPOSES = ("marketing", "reminders")
CHANNELS = ("email",)
ONE_CLICK = "List-Unsubscribe=One-Click"  # RFC 8058's POST body, and the List-Unsubscribe-Post header
PATH = "/v1/unsubscribe"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def address_digest(customer_id: str, address: str) -> str:
    return _b64(hashlib.sha256(f"{customer_id}\n{address.strip().lower()}".encode()).digest()[:16])


@dataclass(frozen=True)
class Link:
    customer_id: str
    channel: str
    purpose: str
    address_digest: str
    issued_at: datetime

    @classmethod
    def to(cls, customer_id: str, channel: str, purpose: str, address: str, now: datetime) -> Link:
        return cls(customer_id, channel, purpose, address_digest(customer_id, address), now.replace(microsecond=0))

    @property
    def payload(self) -> str:
        """What the MAC covers: every field, in a fixed order."""
        issued = int(self.issued_at.timestamp())
        return f"{VERSION}.{self.customer_id}.{self.channel}.{self.purpose}.{self.address_digest}.{issued}"

    def token(self, mac: bytes) -> str:
        return f"{self.payload}.{_b64(mac)}"

    def sent_to(self, address: str) -> bool:
        return address_digest(self.customer_id, address) == self.address_digest

    def expires_at(self) -> datetime:
        return self.issued_at + LIFETIME


NOT_OURS = "this is not an unsubscribe link of ours: it may have been cut short"


def parse(token: str) -> tuple[Link, bytes]:
    """The link a token names and its MAC (unchecked), or BadLink malformed_link."""
    parts = token.split(".")
    if len(parts) != 7 or parts[0] != VERSION:
        raise BadLink("malformed_link", NOT_OURS)
    _, customer_id, channel, purpose, digest, issued, mac = parts
    if channel not in CHANNELS or purpose not in PURPOSES or not customer_id.isalnum() or not issued.isdigit():
        raise BadLink("malformed_link", NOT_OURS)
    try:
        mac_bytes = _unb64(mac)
        _unb64(digest)
        issued_at = datetime.fromtimestamp(int(issued), UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise BadLink("malformed_link", NOT_OURS) from error
    return Link(customer_id, channel, purpose, digest, issued_at), mac_bytes


def check_age(link: Link, now: datetime) -> None:
    """BadLink link_expired once LIFETIME has passed (a signed link issued later than now is not ours either)."""
    if link.issued_at > now + CLOCK_SKEW:
        raise BadLink("malformed_link", "this link was issued in the future: it is not one of ours")
    if now >= link.expires_at():
        raise BadLink(
            "link_expired",
            f"this unsubscribe link expired on {link.expires_at().date().isoformat()}: use the link in a newer "
            "email, or change what we send you in the app",
        )


# The last line of every message that carries a link, in the message's language.
LINES = {
    "en": "Don't want these emails? Unsubscribe: $url",
    "de": "Sie möchten diese E-Mails nicht mehr? Abmelden: $url",
    "fr": "Vous ne souhaitez plus recevoir ces e-mails ? Se désabonner : $url",
    "es": "¿No quieres recibir estos correos? Darse de baja: $url",
}


def with_link(message: Message, url: str) -> Message:
    """The message with its unsubscribe line at the end and the link for the List-Unsubscribe header."""
    line = Template(LINES.get(message.language, LINES["en"])).substitute(url=url)
    return replace(message, text=f"{message.text}\n\n{line}", unsubscribe_url=url)


# What each purpose's page says will stop.
WITHDRAWS = {"marketing": "offers and news", "reminders": "renewal reminders"}
