"""Subscription rules without AWS: reminder days, lead times, renewals and what a change announces."""

from datetime import date

import pytest
from cis.domain.changes import ItemChange, interpret
from cis.domain.subscriptions import (
    Renewal,
    Subscription,
    SubscriptionFields,
    SubscriptionPatch,
    lead_days_for,
    parse_lead_times,
    reminders_due,
    renewed,
)
from pydantic import ValidationError

BASE = {"plan": "pro", "renews_at": "2027-01-31", "price": "10", "currency": "EUR"}
STORED = BASE | {
    "id": "01JSUB0000000000000000000A",
    "customer_id": "01JCUS0000000000000000000A",
    "started_at": "2026-01-31T10:00:00Z",
    "version": 1,
    "created_at": "2026-01-31T10:00:00Z",
    "created_by": "staff:a",
    "updated_at": "2026-01-31T10:00:00Z",
    "updated_by": "staff:a",
}


def test_lead_times_come_from_the_plan_or_the_default_and_15_days_is_allowed():
    lead_times = parse_lead_times({"*": [30, 7, 1], "gym": [15, 7, 1, 7]})
    assert lead_days_for("gym", lead_times) == (15, 7, 1)
    assert lead_days_for("anything-else", lead_times) == (30, 7, 1)


@pytest.mark.parametrize(
    ("config", "problem"),
    [({"gym": [7]}, 'default under "*"'), ({"*": [400]}, "from 0 to 366"), ({"*": "30"}, "a list")],
)
def test_lead_time_settings_that_cannot_work_are_refused_with_the_reason(config, problem):
    with pytest.raises(ValueError, match=problem):
        parse_lead_times(config)


def test_reminders_fall_lead_days_before_the_renewal_and_only_for_active_subscriptions():
    active = SubscriptionFields(**BASE)
    days = reminders_due(active, (30, 7, 1), today=date(2027, 1, 10))
    assert [(r.on.isoformat(), r.lead_days) for r in days] == [("2027-01-24", 7), ("2027-01-30", 1)]
    assert reminders_due(SubscriptionFields(**BASE | {"status": "paused"}), (7,), date(2027, 1, 1)) == []


def test_a_renewal_moves_one_interval_on_keeping_the_month_end():
    monthly = Subscription(**STORED)
    assert renewed(monthly, Renewal()) == date(2027, 2, 28)
    yearly = Subscription(**STORED | {"interval": "year"})
    assert renewed(yearly, Renewal()) == date(2028, 1, 31)
    with pytest.raises(ValueError, match="must be after"):
        renewed(monthly, Renewal(renews_at=date(2027, 1, 31)))


@pytest.mark.parametrize(
    ("body", "where", "problem"),
    [
        (BASE | {"currency": "EURO"}, "currency", "String should match pattern"),
        (BASE | {"currency": "XYZ"}, "currency", "ISO 4217"),
        (BASE | {"price": "-1"}, "price", "greater than or equal to 0"),
        (BASE | {"started_at": "2026-01-01T10:00:00"}, "started_at", "time zone"),
        (BASE | {"started_at": 0}, "started_at", "ISO 8601 text"),
        (BASE | {"started_at": "1969-12-31T23:00:00Z"}, "started_at", "before 1970"),
        (BASE | {"renews_at": 20270101}, "renews_at", "YYYY-MM-DD"),
        (BASE | {"renews_at": "20270101"}, "renews_at", "YYYY-MM-DD"),
        (BASE | {"renews_at": "2027-02-29"}, "renews_at", "not a real date"),
        (BASE | {"started_at": "1764547200"}, "started_at", "ISO 8601 text"),
        (BASE | {"id": "mine"}, "id", "Extra inputs"),
    ],
)
def test_bad_subscription_bodies_name_the_field_and_the_problem(body, where, problem):
    with pytest.raises(ValidationError) as error:
        SubscriptionFields.model_validate(body)
    first = error.value.errors()[0]
    assert (first["loc"][0] if first["loc"] else "") == where and problem in first["msg"]


def test_a_patch_cannot_remove_a_required_field():
    with pytest.raises(ValidationError, match="price cannot be removed"):
        SubscriptionPatch.model_validate({"price": None})


def test_a_subscription_change_announces_created_renewed_cancelled_or_updated():
    first = STORED | {"entity": "subscription", "status": "active", "auto_renew": True}
    created = interpret(ItemChange("c1", None, first))
    assert (created.kind, created.detail["subscription_id"]) == ("subscription.created", first["id"])
    moved = first | {"version": 2, "renews_at": "2027-02-28"}
    renewal = interpret(ItemChange("c2", first, moved))
    assert renewal.kind == "subscription.renewed"
    assert renewal.audit == {"subscription pro renews_at": {"before": "2027-01-31", "after": "2027-02-28"}}
    stopped = interpret(ItemChange("c3", first, first | {"version": 2, "status": "cancelled"}))
    assert stopped.kind == "subscription.cancelled"
    assert interpret(ItemChange("c4", first, first | {"version": 2, "price": "12"})).kind == "subscription.updated"
    assert interpret(ItemChange("c5", None, first | {"merged_from": "01JOTHER"})) is None
