"""Merging customers on moto: everything moves to the survivor or nothing does, and undo puts it all back."""

from datetime import timedelta
from decimal import Decimal

import pytest
from cis.domain.consent import ConsentIn
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.domain.interactions import InteractionIn, TicketUpdate
from cis.domain.keys import key_from_query
from cis.domain.matching import Fingerprint
from cis.domain.merging import FieldRule, MergeRequest
from cis.domain.splitting import SplitRequest
from cis.domain.subscriptions import SubscriptionFields, SubscriptionPatch, parse_lead_times
from cis.errors import Conflict, InvalidRequest, Merged, NotFound, Unprocessable
from cis.repository import keys
from cis.repository.factory import (
    consent_repository,
    duplicate_repository,
    merge_repository,
    subscription_repository,
    timeline_repository,
)
from cis.repository.items import from_attributes
from cis.repository.merges import MergeRepository
from cis.service.consents import ConsentService
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.merges import MergeService
from cis.service.subscriptions import SubscriptionService
from cis.service.timeline import TimelineService
from cis.topology import ALL_STAFF
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
    entries = timeline.page(ada.id, None, 50, None, ALL_STAFF).items
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
    assert undone.status == "undone" and undone.undone_by == "staff:u" and undone.left_for_review == []
    after = business_items(all_items)
    # Exactly as before, but for the survivor's version stamps: a version never goes back (a stale
    # If-Match must not pass), so the survivor's profile and tag copies carry a newer one.
    assert [unstamped(item) for item in after] == [unstamped(item) for item in before]
    survivor = next(item for item in after if item["PK"]["S"] == f"CUST#{ada.id}" and item["SK"]["S"] == keys.PROFILE)
    assert int(survivor["version"]["N"]) == ada.version + 2 and survivor["updated_by"] == {"S": "staff:u"}


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


LOGIN = {"type": "activity", "activity": "login", "channel": "web"}


def partition(all_items, customer_id: str) -> list[dict]:
    """The customer's items (without stream-derived ones), version stamps left out."""
    return [
        unstamped(item)
        for item in all_items()
        if item["PK"]["S"] == f"CUST#{customer_id}" and not item["SK"]["S"].startswith("WATCH#")
    ]


def unstamped(item: dict) -> dict:
    """The item's values (10.5 and 10.50 are one number) without the version stamps."""
    return {name: value for name, value in from_attributes(item).items() if name not in STAMPS}


STAMPS = ("version", "updated_at", "updated_by")


@pytest.mark.parametrize("later", ["activity", "order", "consent"])
def test_undo_after_later_writes_keeps_them_on_the_survivor_and_gives_the_loser_its_things_back(
    later, two_histories, merges, customers, timeline, consents, subscriptions, all_items, dynamodb
):
    ada, again = two_histories
    loser_before = partition(all_items, again.id)
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    if later == "activity":
        written = timeline.record(ada.id, interaction(LOGIN), "staff:x")
    elif later == "order":
        order = {"type": "order", "currency": "EUR", "external_order_id": "o-3", "amount": "20.00"}
        written = timeline.record(ada.id, interaction(order), "staff:x")
    else:
        decision = ConsentIn(status="granted", source="phone-call")
        written = consents.record(ada.id, "sms", "reminders", decision, "staff:x")

    undone = merges.undo(log.merge_id, "staff:u")
    assert undone.status == "undone" and undone.left_for_review == []

    # The loser has exactly its own things back; the survivor keeps the later write, and only its own.
    assert partition(all_items, again.id) == loser_before
    assert customers.get(again.id).consents["email:marketing"].status == "withdrawn"
    survivor = customers.get(ada.id)
    entries = timeline.page(ada.id, None, 50, None, ALL_STAFF).items
    assert all(entry.get("merged_from") is None for entry in entries)
    assert {entry["type"] for entry in entries if entry["type"] in ("ticket", "note")} == set()
    assert [s.plan for s in survivor.subscriptions.values()] == ["gym"]
    assert survivor.emails[0].address == "ada@example.com" and len(survivor.emails) == 1
    assert survivor.tags == ["vip"] and survivor.birthday is None
    assert customers.find(_email("countess@example.org")).id == again.id
    assert [c.id for c in customers.tagged("newsletter", 10, None).items] == [again.id]
    assert due_on(dynamodb, RENEWS - timedelta(days=7)) == sorted([(ada.id, "gym"), (again.id, "magazine")])
    assert survivor.consents["email:marketing"].status == "granted"  # its own decision, no longer outvoted
    orders = [entry for entry in entries if entry["type"] == "order"]
    if later == "activity":
        assert survivor.engagement.last_activity_at == written.occurred_at
        assert survivor.engagement.orders_count == 1 and [o["external_order_id"] for o in orders] == ["o-1"]
    elif later == "order":
        assert sorted(o["external_order_id"] for o in orders) == ["o-1", "o-3"]
        assert survivor.engagement.orders_count == 2
        assert survivor.engagement.lifetime_value == {"EUR": Decimal("30.50")}
    else:
        assert survivor.consents["sms:reminders"].status == "granted"
        assert survivor.consents["sms:reminders"].source == "phone-call"
        assert len(consents.history(ada.id, "sms", "reminders", 10, None).items) == 1
        assert len(consents.history(again.id, "sms", "reminders", 10, None).items) == 1
    assert survivor.engagement.open_tickets == 0
    assert customers.get(again.id).engagement.open_tickets == 1


def test_undo_of_a_merge_of_several_gives_each_its_own_back_after_later_writes(
    two_histories, merges, customers, timeline, all_items
):
    ada, again = two_histories
    third = customers.create(
        CustomerCreate(given_name="Ada", family_name="L.", phones=[{"number": "+442079460959"}], tags=["vip"]),
        "staff:c",
    )
    timeline.record(third.id, interaction({"type": "note", "text": "walk-in"}), "staff:c")
    before = {customer.id: partition(all_items, customer.id) for customer in (again, third)}
    survivor_before = customers.get(ada.id)
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id, third.id]), "staff:m")
    timeline.record(ada.id, interaction(LOGIN), "staff:x")
    customers.update(
        ada.id, CustomerPatch(phones=[{"number": "+442079460958"}, {"number": "+442079460960"}]), "staff:x", None
    )

    undone = merges.undo(log.merge_id, "staff:u")
    assert undone.left_for_review == []
    assert {customer_id: partition(all_items, customer_id) for customer_id in before} == before
    survivor = customers.get(ada.id)
    # The merge brought +442079460959; the edit since dropped it and added ...960: the edit stands.
    assert [p.number for p in survivor.phones] == ["+442079460958", "+442079460960"]
    assert survivor.engagement.orders_count == survivor_before.engagement.orders_count
    assert survivor.engagement.activity_weeks != survivor_before.engagement.activity_weeks  # the login
    assert customers.find(key_from_query(email=None, phone="+442079460959", external_id=None)).id == third.id
    assert customers.find(key_from_query(email=None, phone="+442079460960", external_id=None)).id == ada.id
    assert sorted(c.id for c in customers.tagged("vip", 10, None).items) == sorted([ada.id, third.id])


def test_undo_reports_a_field_the_merge_set_that_was_edited_since_and_keeps_the_edit(two_histories, merges, customers):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    merged = customers.get(ada.id)
    customers.update(ada.id, CustomerPatch(birthday="1985-12-11", locale="en-GB"), "staff:x", merged.version)

    undone = merges.undo(log.merge_id, "staff:u")
    assert [(item.customer_id, item.field) for item in undone.left_for_review] == [(ada.id, "birthday")]
    assert "1985-12-10" in undone.left_for_review[0].problem
    assert merges.get(log.merge_id).left_for_review == undone.left_for_review
    survivor = customers.get(ada.id)
    assert (survivor.birthday.isoformat(), survivor.locale) == ("1985-12-11", "en-GB")  # edits since: kept
    assert [e.address for e in survivor.emails] == ["ada@example.com"]  # the rest of the merge: out
    assert customers.get(again.id).birthday.isoformat() == "1985-12-10"


def test_a_subscription_changed_on_the_survivor_since_stays_there_once(two_histories, merges, customers, subscriptions):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    magazine = next(s for s in customers.get(ada.id).subscriptions.values() if s.plan == "magazine")
    subscriptions.update(ada.id, magazine.id, SubscriptionPatch(price="12.00"), "staff:x", None)

    undone = merges.undo(log.merge_id, "staff:u")
    assert [item.field for item in undone.left_for_review] == [f"subscriptions.{magazine.id}"]
    assert sorted(s.plan for s in customers.get(ada.id).subscriptions.values()) == ["gym", "magazine"]
    assert customers.get(again.id).subscriptions == {}
    with pytest.raises(NotFound):
        subscriptions.get(again.id, magazine.id)
    assert subscriptions.get(ada.id, magazine.id).price == Decimal("12.00")


def test_a_copied_entry_changed_on_the_survivor_since_stays_there_reported_and_still_counted(
    two_histories, merges, customers, timeline
):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    ticket = next(e for e in timeline.page(ada.id, None, 50, None, ALL_STAFF).items if e["type"] == "ticket")
    timeline.update_ticket(ada.id, ticket["id"], TicketUpdate(status="solved"), "staff:x")

    undone = merges.undo(log.merge_id, "staff:u")
    assert [(item.customer_id, item.field) for item in undone.left_for_review] == [(ada.id, f"timeline.{ticket['id']}")]
    # The survivor keeps the solved ticket (no open one), the merged-away customer its own, still open.
    assert customers.get(ada.id).engagement.open_tickets == 0
    assert customers.get(again.id).engagement.open_tickets == 1
    assert [e["status"] for e in timeline.page(ada.id, "ticket", 10, None, ALL_STAFF).items] == ["solved"]
    assert [e["status"] for e in timeline.page(again.id, "ticket", 10, None, ALL_STAFF).items] == ["open"]


def test_an_undo_that_would_leave_the_survivor_invalid_is_refused_and_changes_nothing(customers, merges, all_items):
    survivor = customers.create(
        CustomerCreate(given_name="Ada", emails=[{"address": f"ada{i}@example.com"} for i in range(6)]), "staff:a"
    )
    other = customers.create(CustomerCreate(given_name="Ada", emails=[{"address": "other@example.com"}]), "staff:a")
    rules = {"emails": FieldRule(rule="from", customer_id=other.id)}
    log = merges.merge(survivor.id, MergeRequest(merge_ids=[other.id], fields=rules), "staff:m")
    added = [{"address": "other@example.com"}] + [{"address": f"new{i}@example.com"} for i in range(5)]
    customers.update(survivor.id, CustomerPatch(emails=added), "staff:x", None)
    before = business_items(all_items)

    with pytest.raises(Unprocessable) as refused:
        merges.undo(log.merge_id, "staff:u")
    assert refused.value.fields[0].path == "survivor.emails"
    assert business_items(all_items) == before and merges.get(log.merge_id).status == "done"


def test_a_write_between_reading_and_locking_fails_the_undo_cleanly_with_a_retryable_conflict(
    two_histories, merges, customers, all_items, monkeypatch
):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    before = business_items(all_items)
    read = MergeRepository.mergeable

    def then_someone_writes(self, customer_id):
        record = read(self, customer_id)
        customers.update(ada.id, CustomerPatch(locale="fr-FR"), "staff:x", None)
        return record

    monkeypatch.setattr(MergeRepository, "mergeable", then_someone_writes)
    with pytest.raises(Conflict) as refused:
        merges.undo(log.merge_id, "staff:u")
    monkeypatch.undo()
    assert refused.value.code == "concurrent_update"
    assert merges.get(log.merge_id).status == "done"
    changed = [item for item in business_items(all_items) if item not in before]
    assert {item["SK"]["S"] for item in changed} <= {keys.PROFILE, "TAG#vip", "TAG#newsletter"}  # the update only
    assert merges.undo(log.merge_id, "staff:u").status == "undone"  # the retry goes through
    assert customers.get(ada.id).locale == "fr-FR"


def test_writes_that_arrive_while_the_undo_is_applied_are_refused_retryably_and_the_undo_is_whole(
    two_histories, merges, customers, timeline, monkeypatch
):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    original, refusals = MergeRepository.apply, []

    def meanwhile(self, *args, **kwargs):  # the plan is made and every customer locked: others write now
        for attempt in (
            lambda: timeline.record(ada.id, interaction(LOGIN), "staff:x"),
            lambda: customers.update(ada.id, CustomerPatch(locale="fr-FR"), "staff:x", None),
        ):
            with pytest.raises(Conflict) as refused:
                attempt()
            refusals.append(refused.value.code)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MergeRepository, "apply", meanwhile)
    assert merges.undo(log.merge_id, "staff:u").status == "undone"
    assert refusals == ["merge_in_progress", "merge_in_progress"]  # 409: retry in a moment
    monkeypatch.undo()
    timeline.record(ada.id, interaction(LOGIN), "staff:x")  # the retry goes through
    assert customers.get(again.id).engagement.open_tickets == 1


def test_a_failed_undo_step_is_rolled_back_and_the_merge_stays_done(
    two_histories, merges, customers, timeline, all_items, monkeypatch
):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    timeline.record(ada.id, interaction(LOGIN), "staff:x")
    before = business_items(all_items)
    original = MergeRepository._transact

    def fail_on_closing_step(self, actions):
        if any(
            action.get("Update", {}).get("ExpressionAttributeValues", {}).get(":to") == {"S": "undone"}
            for action in actions
        ):
            raise RuntimeError("the closing transaction fails")
        return original(self, actions)

    monkeypatch.setattr(MergeRepository, "_transact", fail_on_closing_step)
    with pytest.raises(RuntimeError):
        merges.undo(log.merge_id, "staff:u")
    monkeypatch.undo()
    assert business_items(all_items) == before
    assert merges.get(log.merge_id).status == "done"
    timeline.record(ada.id, interaction(LOGIN), "staff:x")  # unlocked
    assert merges.undo(log.merge_id, "staff:u").status == "undone"


def test_undo_is_refused_while_the_survivor_is_merged_into_another(two_histories, merges, customers):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    third = customers.create(CustomerCreate(given_name="Ada", family_name="Byron"), "staff:c")
    later = merges.merge(third.id, MergeRequest(merge_ids=[ada.id]), "staff:m")
    with pytest.raises(Conflict) as refused:
        merges.undo(log.merge_id, "staff:u")
    assert refused.value.code == "merged_since" and later.merge_id in refused.value.message


def _email(address: str):
    return key_from_query(email=address, phone=None, external_id=None)


def test_an_admin_splits_chosen_entries_a_subscription_a_consent_and_an_email_into_a_new_customer(
    two_histories, merges, customers, timeline, consents, dynamodb, all_items
):
    ada, again = two_histories
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    merges.undo(log.merge_id, "staff:u")  # an undo is not always possible: the split works on any record
    log = merges.merge(ada.id, MergeRequest(merge_ids=[again.id]), "staff:m")
    merged = customers.get(ada.id)
    entries = timeline.page(ada.id, None, 50, None, ALL_STAFF).items
    ticket = next(entry for entry in entries if entry["type"] == "ticket")
    order = next(entry for entry in entries if entry.get("external_order_id") == "o-2")
    magazine = next(s for s in merged.subscriptions.values() if s.plan == "magazine")
    request = SplitRequest(
        customer=CustomerCreate(given_name="Augusta Ada", family_name="King"),
        interaction_ids=[ticket["id"], order["id"]],
        subscription_ids=[magazine.id],
        consents=["sms:reminders"],
        emails=["countess@example.org"],
    )
    result = merges.split(ada.id, request, "staff:admin")
    assert result.created and result.source_id == ada.id and result.items_moved > 0

    split_off, kept = customers.get(result.customer_id), customers.get(ada.id)
    assert [e.address for e in split_off.emails] == ["countess@example.org"] and split_off.emails[0].primary
    assert [e.address for e in kept.emails] == ["ada@example.com"]
    assert customers.find(_email("countess@example.org")).id == split_off.id
    assert set(split_off.consents) == {"sms:reminders"} and "sms:reminders" not in kept.consents
    assert [s.plan for s in split_off.subscriptions.values()] == ["magazine"]
    assert [s.plan for s in kept.subscriptions.values()] == ["gym"]
    assert due_on(dynamodb, RENEWS - timedelta(days=7)) == sorted([(ada.id, "gym"), (split_off.id, "magazine")])
    assert (split_off.engagement.open_tickets, split_off.engagement.orders_count) == (1, 1)
    assert split_off.engagement.lifetime_value == {"EUR": Decimal("5.25")}
    assert (kept.engagement.open_tickets, kept.engagement.orders_count) == (0, 1)
    assert kept.engagement.lifetime_value == {"EUR": Decimal("10.5")}
    moved = {entry["id"] for entry in timeline.page(split_off.id, None, 50, None, ALL_STAFF).items}
    assert moved >= {ticket["id"], order["id"]}
    assert not moved & {entry["id"] for entry in timeline.page(ada.id, None, 50, None, ALL_STAFF).items}
    assert len(consents.history(split_off.id, "sms", "reminders", 10, None).items) == 1
    assert merges.get(result.split_id).kind == "split"
    with pytest.raises(Conflict):
        merges.undo(result.split_id, "staff:u")


def test_a_split_into_an_existing_customer_and_a_bad_choice_changes_nothing(
    two_histories, merges, customers, timeline, all_items
):
    ada, again = two_histories
    ticket = next(e for e in timeline.page(again.id, None, 50, None, ALL_STAFF).items if e["type"] == "ticket")
    before = business_items(all_items)
    with pytest.raises(Unprocessable) as refused:
        merges.split(
            again.id, SplitRequest(into=ada.id, interaction_ids=[ticket["id"], "01JNOPE0000000000000000000"]), "s"
        )
    assert [problem.path for problem in refused.value.fields] == ["interaction_ids[1]"]
    assert business_items(all_items) == before
    result = merges.split(again.id, SplitRequest(into=ada.id, interaction_ids=[ticket["id"]]), "staff:admin")
    assert not result.created and result.customer_id == ada.id
    assert customers.get(ada.id).engagement.open_tickets == 1
    assert customers.get(again.id).engagement.open_tickets == 0
    assert customers.update(again.id, CustomerPatch(locale="en-GB"), "staff:x", None).locale == "en-GB"  # unlocked
