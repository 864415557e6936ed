"""One-click unsubscribe: issue a signed link for a message, read one back, and withdraw what it names.

The link is the only authority: no sign-in. It names one customer, one channel, one purpose and the
address it went to (cis.domain.unsubscribe), and it can only withdraw. The answer is the same whether
the customer is still there or not, so a link tells its holder nothing about the record behind it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from cis.domain.moments import utcnow
from cis.domain.unsubscribe import PATH, Link, check_age, parse
from cis.errors import BadLink, Erased, Merged, NotFound

if TYPE_CHECKING:
    from cis.domain.customer import Customer
    from cis.service.consents import ConsentService

SOURCE = "one_click_unsubscribe"
ACTOR = "customer:unsubscribe-link"
MERGE_HOPS = 5  # merged into a customer merged again...


class Key(Protocol):
    def sign(self, message: bytes) -> bytes: ...
    def verify(self, message: bytes, mac: bytes) -> bool: ...


class Customers(Protocol):
    def get(self, customer_id: str) -> Customer: ...  # raises Merged, Erased or NotFound


class Links:
    """Signed links to the unsubscribe route of the API at `base_url`."""

    def __init__(self, key: Key, base_url: str, clock: Callable[[], datetime] = utcnow):
        self.key, self.base_url, self.clock = key, base_url.rstrip("/"), clock

    def url(self, customer_id: str, channel: str, purpose: str, address: str) -> str:
        if not self.base_url:
            raise RuntimeError("CIS_PUBLIC_API_URL is not set: no unsubscribe link can be made, so nothing is sent")
        link = Link.to(customer_id, channel, purpose, address, self.clock())
        token = link.token(self.key.sign(link.payload.encode()))
        return f"{self.base_url}{PATH}?token={quote(token, safe='')}"

    def read(self, token: str) -> Link:
        """The link a token names, once its MAC and age are checked; else BadLink."""
        link, mac = parse(token)
        if not self.key.verify(link.payload.encode(), mac):
            raise BadLink("bad_link_signature", "this unsubscribe link was changed, or is not one of ours")
        check_age(link, self.clock())
        return link


@dataclass(frozen=True)
class Withdrawal:
    link: Link
    # withdrawn | already (refused before) | gone (no such customer now) | address_changed | archived
    outcome: str


class Unsubscribe:
    def __init__(self, links: Links, records: Callable[[], tuple[Customers, ConsentService]]):
        """`records` makes the customers and their consents at the first withdrawal: the page a link
        opens (GET) checks the link alone, and a cold start of it loads neither the customer model nor
        the consent service."""
        self.links, self._records = links, records

    @functools.cached_property
    def customers(self) -> Customers:
        return self._stores[0]

    @functools.cached_property
    def consents(self) -> ConsentService:
        return self._stores[1]

    @functools.cached_property
    def _stores(self) -> tuple[Customers, ConsentService]:
        return self._records()

    def withdraw(self, token: str) -> Withdrawal:
        link = self.links.read(token)
        customer_id = link.customer_id
        for _ in range(MERGE_HOPS):
            try:
                customer = self.customers.get(customer_id)
            except Merged as merged:  # the survivor holds the merged customer's consents and addresses
                customer_id = merged.survivor_id
                continue
            except (Erased, NotFound):
                return Withdrawal(link, "gone")  # nothing to write, and no message will come
            outcome = self._withdraw(link, customer)
            if outcome is not None:
                return Withdrawal(link, outcome)
            customer_id = customer.id  # merged meanwhile: read again
        raise NotFound(f"customer {link.customer_id} kept moving through merges")

    def _withdraw(self, link: Link, customer: Customer) -> str | None:
        from cis.domain.consent import REFUSED, ConsentIn, ConsentStatus  # with the consent service's first use

        if not any(link.sent_to(email.address) for email in customer.emails or []):
            return "address_changed"  # the address the link went to is not theirs any more: it decides nothing
        if customer.status == "archived":
            return "archived"  # takes no writes, and gets no messages until restored
        current = (customer.consents or {}).get(f"{link.channel}:{link.purpose}")
        if current is not None and current.status in REFUSED:
            return "already"  # the mail client's POST and the person's click: one withdrawal
        body = ConsentIn(
            status=ConsentStatus.WITHDRAWN,
            source=SOURCE,
            evidence=f"one-click unsubscribe link (RFC 8058) in the email of {link.issued_at.isoformat()}",
        )
        try:
            self.consents.record(customer.id, link.channel, link.purpose, body, ACTOR)
        except Merged:
            return None
        except (Erased, NotFound):
            return "gone"
        return "withdrawn"
