"""Who hears about a renewal, how and when, without AWS: channel by preference and consent, quiet hours, text."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from cis.domain.consent import ConsentState
from cis.domain.customer import Customer
from cis.domain.notifications import CHECK_IN_PURPOSES, quiet_until, render, render_check_in, route
from cis.domain.subscriptions import Subscription

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BASE = {
    "id": "01JCVS0000000000000000000A",
    "version": 1,
    "created_at": NOW,
    "created_by": "staff:a",
    "updated_at": NOW,
    "updated_by": "staff:a",
    "given_name": "Ada",
    "emails": [{"address": "ada@example.com"}],
    "phones": [{"number": "+14155550100"}],
}
GYM = Subscription(
    id="01JSUB0000000000000000000A",
    customer_id=BASE["id"],
    plan="gym",
    renews_at="2026-12-01",
    price="29.90",
    currency="EUR",
    started_at=NOW,
    version=1,
    created_at=NOW,
    created_by="staff:a",
    updated_at=NOW,
    updated_by="staff:a",
)


def consent(channel: str, status: str = "granted", purpose: str = "reminders") -> dict[str, ConsentState]:
    state = ConsentState(
        channel=channel,
        purpose=purpose,
        status=status,
        legal_basis="consent",
        source="web",
        captured_at=NOW,
        captured_by="staff:a",
    )
    return {f"{channel}:{purpose}": state}


def test_the_preferred_channel_wins_when_it_has_consent_and_an_address():
    both = Customer(**BASE, consents=consent("email") | consent("sms"), preferred_channel="sms")
    assert route(both, NOW)[0].channel == "sms" and route(both, NOW)[0].address == "+14155550100"
    only_email = Customer(**BASE, consents=consent("email"), preferred_channel="sms")
    assert route(only_email, NOW)[0].channel == "email"


@pytest.mark.parametrize(
    ("consents", "reason"),
    [({}, "no_consent"), (consent("email", "withdrawn"), "no_consent"), (consent("push"), "no_consent")],
)
def test_no_reminders_consent_means_no_channel_and_says_why(consents, reason):
    assert route(Customer(**BASE, consents=consents), NOW) == (None, reason)


def test_a_consented_channel_without_an_address_is_not_a_route():
    no_phone = Customer(**BASE | {"phones": []}, consents=consent("sms"))
    assert route(no_phone, NOW) == (None, "no_contact_for_consented_channel")


@pytest.mark.parametrize(
    ("utc", "zone", "until"),
    [
        ("2026-11-23T12:00", "Europe/Berlin", None),  # 13:00 there
        ("2026-11-23T20:30", "Europe/Berlin", "2026-11-24T08:00+01:00"),  # 21:30 there: tomorrow morning
        ("2026-11-23T06:59", "Europe/Berlin", "2026-11-23T08:00+01:00"),  # 07:59 there: a minute to wait
        ("2026-11-23T12:00", "America/Los_Angeles", "2026-11-23T08:00-08:00"),  # 04:00 there: this morning
        ("2026-11-23T07:00", "Europe/Berlin", None),  # 08:00 sharp: the window opens
    ],
)
def test_quiet_hours_are_21_to_8_in_the_customers_own_time_zone(utc, zone, until):
    at = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    expected = datetime.fromisoformat(until) if until else None
    assert quiet_until(at, ZoneInfo(zone)) == expected


def test_the_text_is_in_the_customers_language_with_their_date_and_money_formats():
    german = render(Customer(**BASE | {"given_name": "Jürgen", "locale": "de-DE"}), GYM)
    assert german.subject == "Ihr Abo gym verlängert sich am 1. Dezember 2026"
    assert "29,90\xa0€" in german.text and german.language == "de"
    english = render(Customer(**BASE | {"locale": "ja-JP"}), GYM.model_copy(update={"auto_renew": False}))
    assert english.subject == "Your gym subscription ends on December 1, 2026"
    assert english.language == "en" and "€29.90" in english.text


def test_a_check_in_goes_under_service_unless_refused_and_under_marketing_where_granted():
    plain = Customer(**BASE)  # service messages rest on the contract: sent unless refused
    assert route(plain, NOW, CHECK_IN_PURPOSES)[0].purpose == "service"
    refused = consent("email", "denied", "service") | consent("sms", "denied", "service")
    assert route(Customer(**BASE, consents=refused), NOW, CHECK_IN_PURPOSES) == (None, "no_consent")
    marketing = refused | consent("sms", "granted", "marketing")
    chosen, _ = route(Customer(**BASE, consents=marketing), NOW, CHECK_IN_PURPOSES)
    assert (chosen.channel, chosen.purpose) == ("sms", "marketing")


def test_the_check_in_speaks_the_customers_language_and_falls_back_to_english():
    german = render_check_in(Customer(**BASE, locale="de-AT"))
    assert german.language == "de" and german.text.startswith("Hallo Ada")
    assert render_check_in(Customer(**BASE, locale="ja-JP")).language == "en"


def test_push_goes_to_every_registered_device_where_preferred_and_consented():
    devices = {
        "b" * 32: {
            "platform": "android",
            "endpoint": "arn:aws:sns:eu-west-1:1:endpoint/GCM/app/2",
            "registered_at": NOW,
        },
        "a" * 32: {"platform": "ios", "endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/1", "registered_at": NOW},
    }
    both = consent("email") | consent("push")
    chosen, reason = route(Customer(**BASE, consents=both, devices=devices, preferred_channel="push"), NOW)
    assert (chosen.channel, reason) == ("push", "consented")
    assert chosen.address == "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/1,arn:aws:sns:eu-west-1:1:endpoint/GCM/app/2"
    # Preferred, but no device registered (yet, or any more): the next consented channel.
    assert route(Customer(**BASE, consents=both, preferred_channel="push"), NOW)[0].channel == "email"
    # A device, but no push consent: not by push.
    assert (
        route(Customer(**BASE, consents=consent("email"), devices=devices, preferred_channel="push"), NOW)[0].channel
        == "email"
    )
