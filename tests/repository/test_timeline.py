"""Timeline and engagement on moto: what one interaction write changes, and in how many requests."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cis.domain.customer import CustomerCreate
from cis.domain.interactions import InteractionIn, TicketUpdate
from cis.errors import Conflict, InvalidRequest, NotFound
from cis.repository.customers import profile_item
from cis.repository.factory import timeline_repository
from cis.repository.items import from_attributes
from cis.service.customers import CustomerService
from cis.service.timeline import TimelineService
from cis.topology import ALL_STAFF
from cis_local.request_counter import RequestCounter
from pydantic import TypeAdapter

interaction = TypeAdapter(InteractionIn).validate_python


@pytest.fixture
def timeline(dynamodb):
    return TimelineService(timeline_repository(dynamodb))


@pytest.fixture
def customer(repository):
    return CustomerService(repository).create(CustomerCreate(given_name="Ada"), "staff:test")


def order(external_id: str, amount: str, currency: str = "EUR", **extra):
    return interaction(
        {"type": "order", "external_order_id": external_id, "amount": amount, "currency": currency} | extra
    )


def test_orders_add_up_exactly_per_currency_and_move_last_order_at(timeline, customer):
    for index, amount in enumerate(["19.99", "0.01", "1000.10"]):
        timeline.record(customer.id, order(f"o-{index}", amount), "staff:a")
    timeline.record(customer.id, order("usd-1", "5.50", "USD"), "staff:a")
    timeline.record(customer.id, order("c-1", "99.00", status="cancelled"), "staff:a")
    engagement, _ = timeline.view(customer.id)
    assert engagement.engagement.orders_count == 5
    assert engagement.engagement.lifetime_value == {"EUR": Decimal("1020.10"), "USD": Decimal("5.50")}
    assert engagement.engagement.last_order_at is not None


def test_a_backdated_interaction_sets_first_seen_but_never_moves_last_activity_back(timeline, customer):
    timeline.record(customer.id, interaction({"type": "activity", "activity": "login", "channel": "web"}), "staff:a")
    latest = timeline.view(customer.id)[0].engagement.last_activity_at
    old = datetime(2024, 5, 1, tzinfo=UTC)
    timeline.record(customer.id, order("old-1", "10", occurred_at=old.isoformat()), "staff:a")
    engagement = timeline.view(customer.id)[0].engagement
    assert engagement.first_seen_at == old
    assert engagement.last_activity_at == latest
    assert engagement.last_order_at == old
    assert engagement.orders_count == 1


def test_activity_orders_and_failed_payments_are_counted_per_iso_week_backdated_ones_too(timeline, customer, dynamodb):
    monday, earlier = datetime(2026, 11, 16, 9, tzinfo=UTC), datetime(2026, 9, 2, 9, tzinfo=UTC)
    visit = {"type": "activity", "activity": "visit", "channel": "store"}
    timeline.record(customer.id, interaction(visit | {"occurred_at": monday.isoformat()}), "staff:a")
    timeline.record(customer.id, order("o-1", "10", occurred_at=(monday + timedelta(days=6)).isoformat()), "staff:a")
    timeline.record(customer.id, order("o-2", "10", occurred_at=earlier.isoformat()), "staff:a")  # backdated
    failed = order("f-1", "10", status="payment_failed", occurred_at=monday.isoformat())
    timeline.record(customer.id, failed, "staff:a")
    timeline.record(customer.id, interaction({"type": "note", "text": "called back"}), "staff:a")

    stored = from_attributes(profile_item(dynamodb, "cis-test", customer.id))["engagement"]
    assert stored["activity_weeks"] == {"2026-W47": 3, "2026-W36": 1}  # the note is not activity
    assert stored["order_weeks"] == {"2026-W47": 1, "2026-W36": 1}  # a failed payment is not an order
    assert stored["failed_payment_weeks"] == {"2026-W47": 1}
    assert stored["orders_count"] == 2 and stored["lifetime_value"] == {"EUR": 20}


def test_notes_are_not_customer_activity(timeline, customer):
    timeline.record(customer.id, interaction({"type": "note", "text": "Called about invoice"}), "staff:a")
    assert timeline.view(customer.id)[0].engagement.last_activity_at is None


def test_the_same_order_twice_is_a_conflict_and_counts_once(timeline, customer):
    first = timeline.record(customer.id, order("o-1", "10"), "staff:a")
    with pytest.raises(Conflict) as caught:
        timeline.record(customer.id, order("o-1", "10"), "staff:a")
    assert first.id in caught.value.message
    assert timeline.view(customer.id)[0].engagement.orders_count == 1


def test_interaction_for_a_missing_customer_is_not_found_and_writes_nothing(timeline, all_items):
    before = all_items()
    with pytest.raises(NotFound):
        timeline.record("01ARZ3NDEKTSV4RRFFQ69G5FAV", order("o-1", "10"), "staff:a")
    assert all_items() == before


def test_ticket_status_changes_keep_open_tickets_exact(timeline, customer):
    ticket = timeline.record(customer.id, interaction({"type": "ticket", "subject": "Help", "body": "x"}), "staff:a")
    assert timeline.view(customer.id)[0].engagement.open_tickets == 1
    timeline.update_ticket(customer.id, ticket.id, TicketUpdate(status="pending"), "staff:s")
    assert timeline.view(customer.id)[0].engagement.open_tickets == 1
    solved = timeline.update_ticket(customer.id, ticket.id, TicketUpdate(status="solved"), "staff:s")
    assert timeline.view(customer.id)[0].engagement.open_tickets == 0
    assert [(step.from_, step.to) for step in solved.status_history] == [
        ("open", "pending"),
        ("pending", "solved"),
    ]
    timeline.update_ticket(customer.id, ticket.id, TicketUpdate(status="open"), "staff:s")  # reopened
    assert timeline.view(customer.id)[0].engagement.open_tickets == 1


def test_only_tickets_have_a_status_to_update(timeline, customer):
    note = timeline.record(customer.id, interaction({"type": "note", "text": "hi"}), "staff:a")
    with pytest.raises(Conflict):
        timeline.update_ticket(customer.id, note.id, TicketUpdate(status="solved"), "staff:s")


def test_feedback_keeps_an_average_rating_and_the_last_nps(timeline, customer):
    for score in ({"rating": 5}, {"rating": 2}, {"nps": 9}):
        timeline.record(customer.id, interaction({"type": "feedback"} | score), "staff:a")
    engagement = timeline.view(customer.id)[0].engagement
    assert (engagement.average_rating, engagement.feedback_count, engagement.last_nps) == (3.5, 3, 9)


def test_timeline_pages_newest_first_by_occurrence_and_filters_by_type(timeline, customer):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(9):
        kind = (
            {"type": "note", "text": f"n{day}"}
            if day % 3
            else {"type": "activity", "activity": "visit", "channel": "web"}
        )
        timeline.record(
            customer.id, interaction(kind | {"occurred_at": (start + timedelta(days=day)).isoformat()}), "s"
        )
    seen, cursor = [], None
    while True:
        page = timeline.page(customer.id, None, 4, cursor, ALL_STAFF)
        seen += [entry["occurred_at"] for entry in page.items]
        if not (cursor := page.next_cursor):
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 9
    visits = timeline.page(customer.id, "activity", 10, None, ALL_STAFF).items
    assert [entry["type"] for entry in visits] == ["activity"] * 3
    notes_first = timeline.page(customer.id, "note", 2, None, ALL_STAFF)
    with pytest.raises(InvalidRequest):  # a cursor of one type's pages does not page another
        timeline.page(customer.id, "activity", 2, notes_first.next_cursor, ALL_STAFF)


def test_a_cursor_cannot_reach_another_customers_timeline(timeline, repository):
    people = [CustomerService(repository).create(CustomerCreate(given_name=n), "s") for n in ("A", "B")]
    for person in people:
        for index in range(3):
            timeline.record(person.id, interaction({"type": "note", "text": f"{index}"}), "s")
    cursor = timeline.page(people[0].id, None, 1, None, ALL_STAFF).next_cursor
    with pytest.raises(InvalidRequest):
        timeline.page(people[1].id, None, 1, cursor, ALL_STAFF)


def test_view_shows_profile_and_the_latest_20_entries(timeline, customer):
    for index in range(25):
        timeline.record(customer.id, interaction({"type": "note", "text": f"n{index}"}), "s")
    profile, entries = timeline.view(customer.id)
    assert profile.id == customer.id
    assert len(entries) == 20
    assert entries[0]["text"] == "n24"


def test_interaction_write_timeline_page_and_360_are_one_request_each(timeline, customer, dynamodb):
    counter = RequestCounter(timeline.repository.client)
    with counter.measure() as write:
        timeline.record(customer.id, order("o-1", "10"), "s")
    with counter.measure() as page:
        timeline.page(customer.id, None, 10, None, ALL_STAFF)  # the profile comes with the entries: 404 or 410 if none
    with counter.measure() as view:
        timeline.view(customer.id)
    assert (sum(write.values()), sum(page.values()), sum(view.values())) == (1, 1, 1)
    timeline.record(customer.id, order("o-2", "10"), "s")
    with counter.measure() as by_type:
        first = timeline.page(customer.id, "order", 1, None, ALL_STAFF)
    with counter.measure() as next_by_type:
        timeline.page(customer.id, "order", 1, first.next_cursor, ALL_STAFF)
    # The type index holds no profile: the first page by type reads it as well, the next ones do not.
    assert (sum(by_type.values()), sum(next_by_type.values())) == (2, 1), (by_type, next_by_type)


def test_entries_expire_as_their_kind_is_kept_and_consent_entries_never(timeline, customer, dynamodb):
    from cis.domain.retention import RetentionRules

    rules = RetentionRules()
    at = datetime(2026, 11, 16, 9, tzinfo=UTC)
    visit = {"type": "activity", "activity": "visit", "channel": "store", "occurred_at": at.isoformat()}
    timeline.record(customer.id, interaction(visit), "staff:a")
    timeline.record(customer.id, order("o-ttl", "5", occurred_at=at.isoformat()), "staff:a")
    items = dynamodb.query(
        TableName="cis-test",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CUST#{customer.id}"}},
    )["Items"]
    expiry = {i.get("type", i["entity"])["S"]: int(i["expires_at"]["N"]) for i in items if "expires_at" in i}
    assert expiry["activity"] == int(at.timestamp()) + rules.activities_days * 86400
    assert expiry["order"] == expiry["order_key"] == int(at.timestamp()) + rules.orders_days * 86400
