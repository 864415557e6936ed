"""Merging customers on moto: everything moves to the survivor or nothing does, and undo puts it all back."""

from datetime import timedelta
from decimal import Decimal

import pytest
from cis.domain.consent import ConsentIn
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.domain.interactions import InteractionIn
from cis.domain.keys import key_from_query
from cis.domain.matching import Fingerprint
from cis.domain.merging import FieldRule, MergeRequest
from cis.domain.subscriptions import SubscriptionFields, parse_lead_times
from cis.errors import Conflict, InvalidRequest, Merged
from cis.repository import keys
from cis.repository.factory import (
    consent_repository,
    duplicate_repository,
    merge_repository,
    subscription_repository,
    timeline_repository,
)
from cis.repository.merges import MergeRepository
from cis.service.consents import ConsentService
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.merges import MergeService
from cis.service.subscriptions import SubscriptionService
from cis.service.timeline import TimelineService
from pydantic import TypeAdapter

interaction = TypeAdapter(InteractionIn).validate_python
ADA = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "emails": [{"address": "ada@example.com"}],
    "phones": [{"number": "+442079460958"}],
    "tags": ["vip"],
    "external_ids": {"billing": "C-1"},
}
ADA_AGAIN = {
    "given_name": "Augusta Ada",
    "family_name": "King",
    "emails": [{"address": "countess@example.org"}],
    "birthday": "1985-12-10",
    "tags": ["newsletter"],
    "external_ids": {"shop": "S-9"},
}


@pytest.fixture
def finder(dynamodb):
    return DuplicateFinder(duplicate_repository(dynamodb), utcnow)


@pytest.fixture
def customers(repository, finder):
    return CustomerService(repository, finder)


@pytest.fixture
def merges(dynamodb, repository):
    return MergeService(merge_repository(dynamodb), utcnow)


@pytest.fixture
def timeline(dynamodb):
    return TimelineService(timeline_repository(dynamodb))


@pytest.fixture
def consents(dynamodb):
    return ConsentService(consent_repository(dynamodb))


@pytest.fixture
def subscriptions(dynamodb):
    return SubscriptionService(subscription_repository(dynamodb), parse_lead_times({"*": [30, 7, 1]}))


RENEWS = (utcnow() + timedelta(days=60)).date()


@pytest.fixture
def two_histories(customers, timeline, consents, subscriptions):
    """Two records of one person, each with orders, a ticket, consent decisions and a subscription."""
    ada = customers.create(CustomerCreate(**ADA), "staff:a")
    again = customers.create(CustomerCreate(**ADA_AGAIN), "staff:b")
    order = {"type": "order", "currency": "EUR"}
    timeline.record(ada.id, interaction(order | {"external_order_id": "o-1", "amount": "10.50"}), "staff:a")
    timeline.record(again.id, interaction(order | {"external_order_id": "o-2", "amount": "5.25"}), "staff:b")
    ticket = {"type": "ticket", "subject": "Invoice", "body": "Wrong amount", "priority": "normal"}
    timeline.record(again.id, interaction(ticket), "staff:b")
    decision = {"source": "web-signup"}
    consents.record(ada.id, "email", "marketing", ConsentIn(status="granted", **decision), "staff:a")
    consents.record(again.id, "email", "marketing", ConsentIn(status="withdrawn", **decision), "staff:b")
    consents.record(again.id, "sms", "reminders", ConsentIn(status="granted", **decision), "staff:b")
    plan = {"renews_at": RENEWS, "price": "9.99", "currency": "EUR"}
    subscriptions.start(ada.id, SubscriptionFields(plan="gym", **plan), "staff:a")
    subscriptions.start(again.id, SubscriptionFields(plan="magazine", **plan), "staff:b")
    return ada, again


def due_on(dynamodb, day) -> list[tuple[str, str]]:
    """(customer, plan) of every reminder the due index holds for a day."""
    found = []
    for shard in range(keys.DUE_SHARDS):
        partition = {":pk": {"S": keys.due_partition(day.isoformat(), shard)}}
        items = dynamodb.query(
            TableName="cis-test",
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues=partition,
        )["Items"]
        found += [(item["customer_id"]["S"], item["plan"]["S"]) for item in items]
    return sorted(found)


def business_items(all_items) -> list[dict]:
    """Every item except the merge log (which records the merge and its undo by design); blocks by their
    members only (a version counts changes, and an emptied block stays so that no version is reused)."""
    return [
        {name: value for name, value in item.items() if not (name == "version" and item["SK"]["S"] == "BLOCK")}
        for item in all_items()
        if not item["PK"]["S"].startswith("MERGE#") and item.get("members") != {"M": {}}
    ]


def test_a_merged_away_record_is_no_candidate_at_once_and_is_one_again_after_undo(two_histories, merges, finder):
    ada, again = two_histories
    # The countess's mailbox and name: likely her record; once merged, the survivor holds that mailbox.
    newcomer = {"given_name": "Augusta Ada", "family_name": "King", "emails": [{"address": "countess@example.org"}]}
    probed = Fingerprint.of(newcomer).probe_keys()
    assert [c.customer_id for c in finder.candidates(newcomer)] == [again.id]
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    assert finder.candidates(newcomer) == []  # at once: no stream in this test
    assert set(finder.repository.neighbours(probed)) == {ada.id}  # the survivor is filed as merged
    merges.undo(log.merge_id, "staff:u")
    assert [c.customer_id for c in finder.candidates(newcomer)] == [again.id]
    assert set(finder.repository.neighbours(probed)) == {again.id}


def test_merging_moves_timeline_consents_subscriptions_tags_and_keys_and_the_loser_points_to_the_survivor(
    two_histories, merges, customers, timeline, consents, subscriptions, dynamodb
):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    assert log.status == "done" and log.merged_ids == [again.id]

    survivor = customers.get(ada.id)
    assert (survivor.given_name, survivor.birthday.isoformat()) == ("Ada", "1985-12-10")  # kept, then filled
    assert [e.address for e in survivor.emails] == ["ada@example.com", "countess@example.org"]
    assert survivor.emails[0].primary and not survivor.emails[1].primary
    assert survivor.external_ids == {"billing": "C-1", "shop": "S-9"}
    assert sorted(survivor.tags) == ["newsletter", "vip"]
    assert survivor.engagement.orders_count == 2 and survivor.engagement.open_tickets == 1
    assert survivor.engagement.lifetime_value == {"EUR": Decimal("15.75")}
    # The most restrictive consent wins; a channel only one of them decided on comes along.
    assert survivor.consents["email:marketing"].status == "withdrawn"
    assert survivor.consents["sms:reminders"].status == "granted"
    entries = timeline.page(ada.id, None, 50, None).items
    assert {entry["type"] for entry in entries} >= {"order", "ticket", "consent"}
    assert {entry["customer_id"] for entry in entries} == {ada.id}
    assert len(consents.history(ada.id, "email", "marketing", 10, None).items) == 2
    assert customers.find(_email("countess@example.org")).id == ada.id
    assert [c.id for c in customers.tagged("newsletter", 10, None).items] == [ada.id]
    # Both subscriptions are the survivor's, and their reminders fall due under the survivor only.
    plans = {s.plan: s for s in survivor.subscriptions.values()}
    assert sorted(plans) == ["gym", "magazine"] and plans["magazine"].merged_from == again.id
    assert subscriptions.get(ada.id, plans["magazine"].id).customer_id == ada.id
    assert due_on(dynamodb, RENEWS - timedelta(days=7)) == [(ada.id, "gym"), (ada.id, "magazine")]

    with pytest.raises(Merged) as pointer:
        customers.get(again.id)
    assert (pointer.value.survivor_id, pointer.value.merge_id) == (ada.id, log.merge_id)
    with pytest.raises(Merged):
        timeline.record(again.id, interaction({"type": "note", "text": "late"}), "staff:x")


def test_merge_then_undo_leaves_every_item_exactly_as_before(two_histories, merges, all_items):
    ada, again = two_histories
    before = business_items(all_items)
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    assert business_items(all_items) != before
    undone = merges.undo(log.merge_id, "staff:u")
    assert undone.status == "undone" and undone.undone_by == "staff:u"
    assert business_items(all_items) == before


def test_survivorship_rules_choose_per_field(two_histories, merges, customers):
    ada, again = two_histories
    rules = {
        "given_name": FieldRule(rule="from", customer_id=again.id),
        "family_name": FieldRule(rule="most_recent"),
        "emails": FieldRule(rule="survivor"),
        "display_name": FieldRule(rule="value", value="Ada, Countess of Lovelace"),
        "preferred_channel": FieldRule(rule="value", value="sms"),
    }
    merges.merge(ada.id, MergeRequest(merge_ids=[again.id], fields=rules), "staff:m")
    survivor = customers.get(ada.id)
    assert (survivor.given_name, survivor.family_name) == ("Augusta Ada", "King")
    assert (survivor.display_name, survivor.preferred_channel) == ("Ada, Countess of Lovelace", "sms")
    assert [e.address for e in survivor.emails] == ["ada@example.com"]
    assert customers.find(_email("countess@example.org")) is None  # the dropped address is free again


def test_a_merge_whose_result_would_be_invalid_is_refused_and_changes_nothing(customers, merges, all_items):
    ada = customers.create(CustomerCreate(**ADA), "staff:a")
    many = customers.create(
        CustomerCreate(given_name="Ada", emails=[{"address": f"ada{i}@example.net"} for i in range(10)]), "staff:a"
    )
    before = all_items()
    with pytest.raises(InvalidRequest) as refused:
        merges.merge(ada.id, MergeRequest(merge_ids=[many.id]), "staff:m")
    assert refused.value.fields[0].path == "emails"
    assert all_items() == before


def test_writes_to_a_customer_being_merged_are_refused_until_it_is_done(customers, merges, dynamodb):
    ada = customers.create(CustomerCreate(**ADA), "staff:a")
    other = customers.create(CustomerCreate(**ADA_AGAIN), "staff:b")
    log = {"merge_id": "01JMERGE0000000000000000", "status": "in_progress"}
    merge_repository(dynamodb).lock(log["merge_id"], {other.id: other.version}, log, status_from=None)
    with pytest.raises(Conflict) as refused:
        customers.update(other.id, CustomerPatch(given_name="Changed"), "staff:x", None)
    assert refused.value.code == "merge_in_progress"
    with pytest.raises(Conflict):
        merges.merge(ada.id, MergeRequest(merge_ids=[other.id]), "staff:m")


def test_a_failed_step_is_rolled_back_and_the_locks_released(two_histories, merges, customers, all_items, monkeypatch):
    ada, again = two_histories
    before = business_items(all_items)
    original = MergeRepository._transact

    def fail_on_closing_step(self, actions):  # the moves went through; the profiles and log fail
        if any(
            action.get("Update", {}).get("ExpressionAttributeValues", {}).get(":to") == {"S": "done"}
            for action in actions
        ):
            raise RuntimeError("the closing transaction fails")
        return original(self, actions)

    monkeypatch.setattr(MergeRepository, "_transact", fail_on_closing_step)
    with pytest.raises(RuntimeError):
        merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    monkeypatch.undo()
    after = business_items(all_items)
    assert after == before
    assert customers.update(again.id, CustomerPatch(locale="en-GB"), "staff:x", None).locale == "en-GB"


def test_undo_is_refused_once_the_survivor_has_changed(two_histories, merges, customers, timeline):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    timeline.record(ada.id, interaction({"type": "activity", "activity": "login", "channel": "web"}), "staff:x")
    with pytest.raises(Conflict) as refused:
        merges.undo(log.merge_id, "staff:u")
    assert refused.value.code == "changed_since_merge"
    assert merges.get(log.merge_id).status == "done"
    assert customers.update(ada.id, CustomerPatch(locale="en-GB"), "staff:x", None).locale == "en-GB"  # unlocked


def _email(address: str):
    return key_from_query(email=address, phone=None, external_id=None)
