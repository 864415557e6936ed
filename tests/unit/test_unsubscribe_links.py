"""Unsubscribe links: a token names one customer, channel, purpose and address, and is refused once
changed in any part, signed by another key, or past its lifetime."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from cis.domain.notifications import Message
from cis.domain.unsubscribe import LIFETIME, parse, with_link
from cis.errors import BadLink
from cis.repository.senders import EmailSender
from cis.service.unsubscribe import Links

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ADA = "01JD0000000000000000000ADA"


class Key:
    """An HMAC key in memory, standing in for the KMS HMAC key (GenerateMac / VerifyMac)."""

    def __init__(self, secret: bytes = b"k" * 32):
        self.secret = secret

    def sign(self, message: bytes) -> bytes:
        return hmac.new(self.secret, message, hashlib.sha256).digest()

    def verify(self, message: bytes, mac: bytes) -> bool:
        return hmac.compare_digest(self.sign(message), mac)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def issued(at: datetime = NOW, purpose: str = "reminders", key: Key | None = None) -> str:
    links = Links(key or Key(), "https://api.example.com/", lambda: at)
    return token_of(links.url(ADA, "email", purpose, "Ada@Example.com"))


def read(token: str, at: datetime = NOW, key: Key | None = None):
    return Links(key or Key(), "https://api.example.com", lambda: at).read(token)


def test_a_link_names_the_customer_channel_purpose_and_address_it_was_sent_to():
    url = Links(Key(), "https://api.example.com/", lambda: NOW).url(ADA, "email", "marketing", "Ada@Example.com")
    assert url.startswith("https://api.example.com/v1/unsubscribe?token=u1.")
    link = read(token_of(url))
    assert (link.customer_id, link.channel, link.purpose, link.issued_at) == (ADA, "email", "marketing", NOW)
    assert link.sent_to("ada@example.com ") and not link.sent_to("ada@example.org")
    assert "ada" not in token_of(url).lower().replace(ADA.lower(), "")  # the address itself is not in it


@pytest.mark.parametrize("part", [1, 2, 3, 4, 5, 6])
def test_a_token_changed_in_any_part_is_refused(part):
    pieces = issued().split(".")
    swaps = {1: "01JD0000000000000000000EVE", 2: "sms", 3: "marketing", 4: "A" * 22, 5: str(int(NOW.timestamp()) + 60)}
    pieces[part] = swaps.get(part) or pieces[part][:-2] + ("AA" if pieces[part][-2:] != "AA" else "BB")
    with pytest.raises(BadLink) as refused:
        read(".".join(pieces))
    assert refused.value.code in ("bad_link_signature", "malformed_link")


def test_the_wrong_purpose_is_refused_even_when_signed_and_service_has_no_link():
    with pytest.raises(BadLink) as refused:
        read(issued().replace(".reminders.", ".marketing."))
    assert refused.value.code == "bad_link_signature"
    with pytest.raises(BadLink) as malformed:
        read(issued().replace(".reminders.", ".service."))
    assert malformed.value.code == "malformed_link"  # no link is ever made for service messages


def test_a_token_signed_by_another_key_is_refused():
    with pytest.raises(BadLink) as refused:
        read(issued(key=Key(b"x" * 32)))
    assert refused.value.code == "bad_link_signature"


def test_a_link_holds_for_its_lifetime_then_expires():
    token = issued()
    assert read(token, NOW + LIFETIME - timedelta(seconds=1)).purpose == "reminders"
    with pytest.raises(BadLink) as expired:
        read(token, NOW + LIFETIME)
    assert expired.value.code == "link_expired"
    with pytest.raises(BadLink):
        read(issued(NOW + timedelta(hours=1)), NOW)  # issued in the future: not ours


@pytest.mark.parametrize("token", ["", "u1", "u2.a.b.c.d.e.f", "u1.a.email.reminders.d.e.f", "u1.A B.email.x.y.1.z"])
def test_garbage_is_malformed(token):
    with pytest.raises(BadLink) as refused:
        read(token)
    assert refused.value.code == "malformed_link"


def test_a_message_with_a_link_ends_with_it_and_its_email_carries_both_headers():
    message = with_link(Message("Hi", "Your gym renews.", "de"), "https://api.example.com/v1/unsubscribe?token=t")
    assert message.text.endswith("Abmelden: https://api.example.com/v1/unsubscribe?token=t")

    class Ses:
        def send_email(self, **request):
            self.request = request
            return {"MessageId": "m-1"}

    ses = Ses()
    EmailSender(ses, "hello@example.com").send("ada@example.com", message)
    assert ses.request["Content"]["Simple"]["Headers"] == [
        {"Name": "List-Unsubscribe", "Value": "<https://api.example.com/v1/unsubscribe?token=t>"},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
    ]
    EmailSender(ses, "hello@example.com").send("ada@example.com", Message("Hi", "Support replied.", "en"))
    assert "Headers" not in ses.request["Content"]["Simple"]  # a service message: none
    assert parse(token_of(message.unsubscribe_url.replace("=t", "=u1.X.email.reminders.AA.1.AA")))[0].customer_id == "X"
