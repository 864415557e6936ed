"""Demo customers for the local runtime: the variety a real base has, including gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cis.domain.consent import ConsentIn
from cis.domain.customer import CustomerCreate
from cis.domain.interactions import Activity
from cis.domain.subscriptions import SubscriptionFields
from cis.errors import Conflict
from cis.service.customers import CustomerService

DEMO_ACTOR = "system:demo-data"

CUSTOMERS: list[dict] = [
    {
        "given_name": "Amelia",
        "family_name": "Hughes",
        "emails": [{"address": "amelia.hughes@example.co.uk", "label": "home"}],
        "phones": [{"number": "+44 7911 123456", "label": "mobile"}],
        "addresses": [{"lines": ["14 Elm Row"], "locality": "Edinburgh", "postal_code": "eh7 4aa", "country": "GB"}],
        "birthday": "1986-04-12",
        "locale": "en-GB",
        "time_zone": "Europe/London",
        "tags": ["gym-member", "newsletter"],
        "external_ids": {"billing": "C-1042", "shop": "88213"},
    },
    {
        "given_name": "Marcus",
        "family_name": "Johnson",
        "emails": [
            {"address": "marcus.johnson@example.com", "label": "work", "primary": True},
            {"address": "mj.runner@example.net", "label": "home"},
        ],
        "phones": [{"number": "(415) 555-0132", "label": "mobile"}],
        "locale": "en-US",
        "time_zone": "America/Los_Angeles",
        "tags": ["saas-pro"],
        "external_ids": {"billing": "C-1043"},
        "custom_attributes": {"company": "Northwind Traders", "seats": 25},
    },
    {
        "given_name": "Jürgen",
        "family_name": "Weiß",
        "emails": [{"address": "juergen.weiss@example.de"}],
        "addresses": [{"lines": ["Hauptstraße 5"], "locality": "München", "postal_code": "80331", "country": "DE"}],
        "locale": "de-DE",
        "time_zone": "Europe/Berlin",
        "tags": ["magazine"],
    },
    {
        # A walk-in customer: a name and a paper form's phone number, no email.
        "given_name": "Rosa",
        "family_name": "Delgado",
        "phones": [{"number": "+34 612 34 56 78"}],
        "locale": "es-ES",
        "time_zone": "Europe/Madrid",
        "tags": ["walk-in"],
    },
    {
        "display_name": "佐藤 陽菜",
        "given_name": "Hina",
        "family_name": "Sato",
        "emails": [{"address": "hina.sato@example.jp"}],
        "phones": [{"number": "+81 90-1234-5678"}],
        "locale": "ja-JP",
        "time_zone": "Asia/Tokyo",
    },
    {
        # Imported from the old billing system: only an external id and a name.
        "display_name": "Okafor Logistics Ltd",
        "external_ids": {"billing": "LEGACY-00017"},
        "addresses": [{"lines": ["2 Marina Road"], "locality": "Lagos", "country": "NG", "label": "billing"}],
        "tags": ["b2b", "imported"],
    },
    {
        "given_name": "Priya",
        "family_name": "Raman",
        "emails": [{"address": "priya.raman@example.in"}],
        "phones": [{"number": "+91 98765 43210"}],
        "birthday": "1994-11-02",
        "locale": "en-IN",
        "time_zone": "Asia/Kolkata",
        "tags": ["saas-basic", "newsletter"],
    },
    {
        "given_name": "Liam",
        "family_name": "O'Connor",
        "emails": [{"address": "liam.oconnor+shop@example.ie"}],
        "locale": "en-IE",
        "time_zone": "Europe/Dublin",
        "external_ids": {"shop": "90111"},
    },
]


# Subscriptions of some demo customers, renewing a week from the day the runtime starts, and the
# reminder consent each gave (None: none, so their reminder is not sent and the timeline says why).
SUBSCRIPTIONS: dict[str, tuple[dict, str | None]] = {
    "Amelia": ({"plan": "gym-monthly", "interval": "month", "price": "39.00", "currency": "GBP"}, "email"),
    "Marcus": ({"plan": "saas-pro", "interval": "year", "price": "1188.00", "currency": "USD"}, "email"),
    "Jürgen": ({"plan": "magazine", "interval": "year", "price": "59.90", "currency": "EUR"}, "email"),
    "Rosa": ({"plan": "gym-monthly", "interval": "month", "price": "29.00", "currency": "EUR"}, "sms"),
    "Hina": ({"plan": "saas-basic", "interval": "month", "price": "1200", "currency": "JPY"}, None),
}
RENEWS_IN_DAYS = 7

# Visit histories (every `gap` days, the last one `quiet` days before the day the runtime starts), so the
# churn check has someone to find: Marcus goes quiet and crosses 14 days tomorrow; Liam keeps coming.
VISITS: dict[str, tuple[int, int]] = {"Marcus": (3, 13), "Liam": (4, 2), "Amelia": (2, 1)}
HISTORY_DAYS = 90


def _visits(timeline, customer_id: str, gap: int, quiet: int) -> None:
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    for days_ago in reversed(range(quiet, HISTORY_DAYS + 1, gap)):  # oldest first, the last `quiet` days ago
        visit = {
            "type": "activity",
            "activity": "visit",
            "channel": "web",
            "occurred_at": today - timedelta(days=days_ago),
        }
        timeline.record(customer_id, Activity.model_validate(visit), DEMO_ACTOR)


def load(service: CustomerService, subscriptions=None, consents=None, timeline=None) -> int:
    """Create the demo customers that are not there yet, with their subscriptions and consents; the count created."""
    created = 0
    renews = (datetime.now(UTC) + timedelta(days=RENEWS_IN_DAYS)).date()
    for data in CUSTOMERS:
        try:
            customer = service.create(CustomerCreate.model_validate(data), DEMO_ACTOR)
            created += 1
        except Conflict:
            continue  # already loaded (a persistent endpoint keeps them between runs)
        plan, channel = SUBSCRIPTIONS.get(customer.given_name or "", (None, None))
        if plan and subscriptions is not None:
            subscriptions.start(customer.id, SubscriptionFields(**plan, renews_at=renews), DEMO_ACTOR)
        if channel and consents is not None:
            decision = ConsentIn(status="granted", source="demo-signup-form")
            consents.record(customer.id, channel, "reminders", decision, DEMO_ACTOR)
        if customer.given_name in VISITS and timeline is not None:
            _visits(timeline, customer.id, *VISITS[customer.given_name])
    return created
