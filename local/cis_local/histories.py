"""Generated customers with a year of activity, each with the truth about how they behave.

Four kinds, mixed as a real base is: `regular` customers come back at their own pace (every 2 to
10 days, with noise); `fading` ones did too, until their gaps started to grow some weeks ago and
their orders thinned out; `churned` ones stopped altogether months ago; `seasonal` ones come in
bursts (a few weeks, twice a year) and are quiet in between. Every kind has the odd ticket, rating
and failed payment, more often when things are going badly. Seeded: every run sees the same base.

Tests record these histories through the real timeline code; the benchmark folds them into profiles
with the same engagement arithmetic (`cis.domain.interactions.engagement_change`), because a
200,000-customer table of every timeline entry would measure the seeding, not the job.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from cis_local.synthetic import GIVEN, surname

KINDS = ("regular", "fading", "churned", "seasonal")
MIX = {"regular": 0.6, "fading": 0.12, "churned": 0.13, "seasonal": 0.15}
HISTORY_DAYS = 365


@dataclass(frozen=True)
class Event:
    at: datetime
    body: dict[str, Any]  # what a client would POST to /interactions (without occurred_at)


@dataclass
class Generated:
    number: int
    kind: str
    fields: dict[str, Any]  # CustomerFields as JSON
    events: list[Event] = field(default_factory=list)  # oldest first


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randrange(8, 21), rng.randrange(60)), tzinfo=UTC)


def _visit(rng: random.Random, number: int, day: date, order_share: float, step: int) -> Event:
    if rng.random() < order_share:
        status = "payment_failed" if rng.random() < 0.02 else "paid"
        amount = f"{rng.randrange(10, 200)}.{rng.randrange(100):02d}"
        body = {"type": "order", "external_order_id": f"G-{number}-{step}", "amount": amount, "currency": "EUR"}
        return Event(_at(day, rng), body | {"status": status})
    activity = rng.choice(["login", "visit", "app_open", "store_visit"])
    channel = {"store_visit": "store", "app_open": "app"}.get(activity, "web")
    return Event(_at(day, rng), {"type": "activity", "activity": activity, "channel": channel})


def _days(rng: random.Random, start: date, end: date, gap: float, growth: float = 1.0, grow_from: date | None = None):
    """Visit days from `start` to `end`: gaps around `gap` days, multiplied by `growth` after `grow_from`."""
    day = start + timedelta(days=rng.randrange(max(1, round(gap))))
    while day <= end:
        yield day
        if grow_from is not None and day >= grow_from:
            gap *= growth
        day += timedelta(days=max(1, round(gap * rng.uniform(0.6, 1.4))))


def history(rng: random.Random, kind: str, number: int, today: date) -> list[Event]:
    start = today - timedelta(days=HISTORY_DAYS)
    gap = rng.uniform(2, 10)
    order_share = rng.uniform(0.1, 0.35)
    order_share_late = order_share / 3 if kind == "fading" else order_share  # their orders thin out first
    if kind == "regular":
        days = list(_days(rng, start, today, gap))
        trouble = 0.05
    elif kind == "fading":
        # Their gaps start to grow 50 to 100 days ago; by now they come rarely, or have just stopped.
        turn = today - timedelta(days=rng.randrange(50, 100))
        days = list(_days(rng, start, today, gap, rng.uniform(1.25, 1.6), turn)) or [turn]
        trouble = 0.3
    elif kind == "churned":
        stop = today - timedelta(days=rng.randrange(90, 300))
        days = list(_days(rng, start, stop, gap))
        trouble = 0.2
    else:  # seasonal: two bursts a year (3 to 5 weeks), nothing in between
        days, season = [], rng.randrange(0, 180)
        for offset in (season, season + 182):
            burst = start + timedelta(days=offset)
            days += list(_days(rng, burst, min(today, burst + timedelta(days=rng.randrange(21, 36))), 2.5))
        trouble = 0.05
    events = []
    for step, day in enumerate(days):
        late = day >= today - timedelta(days=60)
        events.append(_visit(rng, number, day, order_share_late if late else order_share, step))
    events += _trouble(rng, days, trouble, today)
    return sorted(events, key=lambda event: event.at)


def _trouble(rng: random.Random, days: list[date], share: float, today: date) -> list[Event]:
    """A ticket or a rating now and then; more often, and lower, for customers on their way out."""
    if not days:
        return []
    events = []
    for _ in range(rng.randrange(0, 3)):
        day = rng.choice(days)
        if rng.random() < share:
            body = {"type": "ticket", "subject": "Problem with my account", "body": "It does not work."}
            events.append(Event(_at(day, rng), body | {"status": "open" if rng.random() < 0.5 else "solved"}))
        else:
            rating = rng.choice([1, 2]) if rng.random() < share else rng.choice([4, 5])
            events.append(Event(_at(day, rng), {"type": "feedback", "rating": rating}))
    return [event for event in events if event.at.date() <= today]


def customer_base(count: int, today: date, seed: int = 3, first: int = 0) -> list[Generated]:
    """`count` customers (numbered from `first`), each of a kind drawn from MIX, with its history."""
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    base = []
    for number in range(first, first + count):
        kind = rng.choices(kinds, weights)[0]
        fields = {
            "given_name": GIVEN[number % len(GIVEN)],
            "family_name": surname(number),
            "emails": [{"address": f"history{number}@example.com"}],
            "locale": rng.choice(["en-GB", "de-DE", "fr-FR", "es-ES"]),
            "time_zone": "Europe/London",
        }
        base.append(Generated(number, kind, fields, history(rng, kind, number, today)))
    return base


# -- folding histories into profiles (the benchmark's seeding) ---------------------------------
def fold(events: list[Event]) -> dict[str, Any]:
    """The engagement the timeline's writes would have left: the same `engagement_change` per event."""
    from cis.domain import interactions
    from cis.domain.moments import timestamp

    models = {"activity": interactions.Activity, "order": interactions.Order, "ticket": interactions.Ticket}
    models["feedback"] = interactions.Feedback

    def parse(body: dict):  # generated bodies are valid: built without validation, 10x faster at 200k
        values = body | ({"amount": Decimal(body["amount"]), "line_items": []} if "amount" in body else {})
        return models[body["type"]].model_construct(**values)

    engagement: dict[str, Any] = {"lifetime_value": {}, "activity_weeks": {}, "order_weeks": {}}
    engagement["failed_payment_weeks"] = {}
    for event in events:
        change = interactions.engagement_change(parse(event.body), event.at)
        for path, amount in change.increments.items():
            *parents, name = path.split(".")
            target = engagement
            for parent in parents:
                target = target.setdefault(parent, {})
            target[name] = target.get(name, 0) + (Decimal(str(amount)) if isinstance(amount, Decimal) else amount)
        engagement |= change.sets
        at = timestamp(event.at)
        for name in change.latest:
            engagement[name] = max(engagement.get(name, at), at)
        if change.latest:
            engagement["first_seen_at"] = min(engagement.get("first_seen_at", at), at)
    return engagement


def steady_state_items(person: Generated, customer_id: str, today: date, rules, rescore: bool = False) -> list[dict]:
    """The items a customer has on `today` when the system has run all along: the profile (with the
    assessment the job stored at the last threshold crossed before today) and the idle watch where
    that run left it; `rescore`: a churn signal changed yesterday (the stream's mark for today)."""
    from cis.domain.churn import assess, next_crossing, signals_of
    from cis.domain.customer import Customer, CustomerFields
    from cis.domain.engagement import Engagement
    from cis.domain.risk import ChurnRisk
    from cis.repository.churn import idle_watch_item, rescore_item
    from cis.repository.customers import CustomerRepository
    from cis.repository.items import to_value

    created = datetime.combine(today - timedelta(days=HISTORY_DAYS + 1), time(), tzinfo=UTC)
    customer = Customer.new(CustomerFields.model_validate(person.fields), customer_id, "system:seed", created)
    profile = CustomerRepository(None, "").new_profile_item(customer)
    engagement = fold(person.events)
    profile["engagement"] = to_value(engagement)
    items = [profile, rescore_item(customer_id, today)] if rescore else [profile]
    last_at = engagement.get("last_activity_at")
    if last_at is None:
        return items
    last = datetime.fromisoformat(last_at).date()
    yesterday = today - timedelta(days=1)
    crossed = [
        last + timedelta(days=days) for days in rules.thresholds_days if last + timedelta(days=days) <= yesterday
    ]
    if crossed:
        signals = signals_of(Engagement.model_validate(engagement), {}, crossed[-1])
        assessment = assess(signals, rules)
        risk = ChurnRisk.model_validate(assessment.to_dict() | {"assessed_on": crossed[-1]})
        profile["churn_risk"] = to_value(risk.model_dump(mode="json"))
    watch = next_crossing(last, yesterday, rules.thresholds_days)
    if watch is not None:
        items.append(idle_watch_item(customer_id, watch[0], watch[1], last))
    return items
