"""Subscriptions on moto: the record, the profile's copy and the due index always agree."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from cis.domain.customer import CustomerCreate
from cis.domain.subscriptions import Renewal, SubscriptionFields, SubscriptionPatch, parse_lead_times
from cis.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from cis.repository import keys
from cis.repository.factory import subscription_repository
from cis.service.customers import CustomerService
from cis.service.subscriptions import SubscriptionService

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEAD_TIMES = parse_lead_times({"*": [30, 7, 1], "gym-monthly": [15, 7, 1]})
GYM = {"plan": "gym-monthly", "renews_at": "2027-01-10", "price": "29.90", "currency": "EUR"}


@pytest.fixture
def customers(repository):
    return CustomerService(repository)


@pytest.fixture
def subscriptions(dynamodb):
    return SubscriptionService(subscription_repository(dynamodb), LEAD_TIMES, clock=lambda: TODAY)


@pytest.fixture
def ada(customers):
    return customers.create(CustomerCreate(given_name="Ada", emails=[{"address": "ada@example.com"}]), "staff:a")


def due(dynamodb, day: str) -> list[dict]:
    """Every reminder the due index holds for a day, over all its shards."""
    found = []
    for shard in range(keys.DUE_SHARDS):
        response = dynamodb.query(
            TableName="cis-test",
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.due_partition(day, shard)}},
        )
        found += [
            (item["subscription_id"]["S"], int(item["lead_days"]["N"]), item["customer_id"]["S"])
            for item in response["Items"]
        ]
    return found


def test_a_new_subscription_files_one_reminder_per_lead_time_of_its_plan(subscriptions, customers, ada, dynamodb):
    gym = subscriptions.start(ada.id, SubscriptionFields(**GYM), "staff:a")

    assert [(r.on.isoformat(), r.lead_days) for r in gym.reminders] == [
        ("2026-12-26", 15),
        ("2027-01-03", 7),
        ("2027-01-09", 1),
    ]
    assert due(dynamodb, "2026-12-26") == [(gym.id, 15, ada.id)]
    assert due(dynamodb, "2027-01-09") == [(gym.id, 1, ada.id)]
    assert due(dynamodb, "2026-12-11") == []  # 30 days is the default, not this plan's
    # The profile keeps a copy, so the 360 view needs no second read.
    assert customers.get(ada.id).subscriptions[gym.id].price == Decimal("29.90")
    assert subscriptions.get(ada.id, gym.id) == gym


def test_reminders_whose_day_has_passed_are_not_filed(subscriptions, ada, dynamodb):
    soon = subscriptions.start(ada.id, SubscriptionFields(**GYM | {"renews_at": "2026-12-01"}), "staff:a")
    assert [r.lead_days for r in soon.reminders] == [7, 1]  # the 15-day one fell on 16 November


def test_moving_the_renewal_day_moves_its_reminders_and_cancelling_removes_them(subscriptions, ada, dynamodb):
    gym = subscriptions.start(ada.id, SubscriptionFields(**GYM), "staff:a")
    moved = subscriptions.update(ada.id, gym.id, SubscriptionPatch(renews_at=date(2027, 2, 10)), "staff:b", None)
    assert moved.version == 2
    assert due(dynamodb, "2027-01-09") == [] and due(dynamodb, "2027-02-09") == [(gym.id, 1, ada.id)]

    cancelled = subscriptions.update(ada.id, gym.id, SubscriptionPatch(status="cancelled"), "staff:b", 2)
    assert cancelled.reminders == []
    assert [day for day in ("2027-01-26", "2027-02-03", "2027-02-09") if due(dynamodb, day)] == []


def test_a_renewal_moves_the_day_one_interval_on_and_files_the_next_reminders(subscriptions, ada, dynamodb):
    yearly = subscriptions.start(ada.id, SubscriptionFields(**GYM | {"plan": "pro", "interval": "year"}), "staff:a")
    renewed = subscriptions.renew(ada.id, yearly.id, Renewal(), "billing:sync")
    assert renewed.renews_at == date(2028, 1, 10)
    assert due(dynamodb, "2027-12-11") == [(yearly.id, 30, ada.id)] and due(dynamodb, "2026-12-11") == []

    to_a_day = subscriptions.renew(ada.id, yearly.id, Renewal(renews_at=date(2028, 3, 1)), "billing:sync")
    assert to_a_day.renews_at == date(2028, 3, 1)
    with pytest.raises(Conflict) as backwards:
        subscriptions.renew(ada.id, yearly.id, Renewal(renews_at=date(2028, 2, 1)), "billing:sync")
    assert backwards.value.code == "not_renewable"


def test_a_paused_subscription_does_not_renew_and_files_no_reminders(subscriptions, ada):
    paused = subscriptions.start(ada.id, SubscriptionFields(**GYM | {"status": "paused"}), "staff:a")
    assert paused.reminders == []
    with pytest.raises(Conflict, match="paused subscription does not renew"):
        subscriptions.renew(ada.id, paused.id, Renewal(), "staff:a")


def test_a_patch_whose_result_breaks_a_rule_is_refused_whole(subscriptions, ada):
    gym = subscriptions.start(ada.id, SubscriptionFields(**GYM | {"started_at": "2026-11-01T10:00:00Z"}), "staff:a")
    with pytest.raises(Unprocessable) as refused:
        subscriptions.update(ada.id, gym.id, SubscriptionPatch(renews_at=date(2026, 10, 1)), "staff:b", None)
    assert refused.value.fields[0].problem == "renews_at is before started_at"
    assert subscriptions.get(ada.id, gym.id).version == 1


def test_a_stale_if_match_is_refused_and_unknown_ids_are_not_found(subscriptions, ada):
    gym = subscriptions.start(ada.id, SubscriptionFields(**GYM), "staff:a")
    subscriptions.update(ada.id, gym.id, SubscriptionPatch(price=Decimal("31")), "staff:b", 1)
    with pytest.raises(PreconditionFailed):
        subscriptions.update(ada.id, gym.id, SubscriptionPatch(price=Decimal("32")), "staff:c", 1)
    with pytest.raises(NotFound, match="has no subscription"):
        subscriptions.get(ada.id, "01JAAAAAAAAAAAAAAAAAAAAAAA")
    with pytest.raises(NotFound, match="does not exist"):
        subscriptions.start("01JAAAAAAAAAAAAAAAAAAAAAAA", SubscriptionFields(**GYM), "staff:a")
