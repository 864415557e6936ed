"""The repository on moto: uniqueness, optimistic locking, archiving, paging, and request counts."""

from datetime import UTC, datetime

import pytest
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.domain.keys import key_from_query
from cis.errors import Conflict, InvalidRequest, NotFound, PreconditionFailed
from cis.repository.keys import lookup_key
from cis.service.customers import CustomerService
from cis_local.request_counter import RequestCounter


@pytest.fixture
def service(repository):
    return CustomerService(repository)


def new(service, actor="staff:test", **data):
    return service.create(CustomerCreate.model_validate(data), actor)


def by_email(service, address):
    return service.find(key_from_query(email=address, phone=None, external_id=None))


def test_create_writes_profile_and_a_lookup_item_per_unique_key(service, all_items):
    customer = new(service, given_name="Ada", emails=[{"address": "ada@example.com"}], external_ids={"shop": "7"})
    keys = [(item["PK"]["S"], item["SK"]["S"]) for item in all_items()]
    assert keys == [
        (f"CUST#{customer.id}", "V#PROFILE"),
        *sorted(
            (lookup_key(*key)["PK"]["S"], "KEY") for key in [("email", "ada@example.com"), ("external_id", "shop:7")]
        ),
    ]
    values = {item["value"]["S"] for item in all_items() if item["entity"]["S"] == "lookup"}
    assert values == {"ada@example.com", "shop:7"}  # the key is a digest; the item says what it holds


def test_duplicate_email_is_a_conflict_naming_field_and_owner_and_writes_nothing(service, all_items):
    first = new(service, given_name="Ada", emails=[{"address": "ada@example.com"}])
    before = all_items()
    with pytest.raises(Conflict) as caught:
        new(service, given_name="Bob", phones=[{"number": "+14155550132"}], emails=[{"address": "ADA@example.com"}])
    assert caught.value.existing_customer_id == first.id
    assert caught.value.fields[0].path == "emails[0].address"
    assert all_items() == before


def test_lookup_finds_customer_by_email_phone_and_external_id(service):
    customer = new(
        service,
        given_name="Ada",
        emails=[{"address": "ada@example.com"}],
        phones=[{"number": "+14155550132"}],
        external_ids={"billing": "C-1"},
    )
    assert by_email(service, "Ada@Example.com").id == customer.id
    assert service.find(key_from_query(email=None, phone="(415) 555-0132", external_id=None)).id == customer.id
    assert service.find(key_from_query(email=None, phone=None, external_id="billing:C-1")).id == customer.id
    assert by_email(service, "nobody@example.com") is None


def test_patch_with_stale_version_is_refused_and_changes_nothing(service):
    customer = new(service, given_name="Ada")
    service.update(customer.id, CustomerPatch(locale="en-GB"), "staff:a", expected_version=1)
    with pytest.raises(PreconditionFailed) as caught:
        service.update(customer.id, CustomerPatch(locale="fr-FR"), "staff:b", expected_version=1)
    assert caught.value.current_version == 2
    assert service.get(customer.id).locale == "en-GB"


def test_patch_of_missing_customer_is_not_found(service):
    with pytest.raises(NotFound):
        service.update("01ARZ3NDEKTSV4RRFFQ69G5FAV", CustomerPatch(locale="en-GB"), "staff:a", None)


def test_changing_email_moves_its_lookup_item(service):
    customer = new(service, given_name="Ada", emails=[{"address": "old@example.com"}])
    updated = service.update(
        customer.id,
        CustomerPatch.model_validate({"emails": [{"address": "new@example.com"}]}),
        "staff:a",
        expected_version=1,
    )
    assert updated.version == 2
    assert by_email(service, "old@example.com") is None
    assert by_email(service, "new@example.com").id == customer.id
    new(service, given_name="Other", emails=[{"address": "old@example.com"}])  # the old address is free again


def test_patch_to_an_email_another_customer_owns_is_a_conflict_and_changes_nothing(service, all_items):
    owner = new(service, given_name="Ada", emails=[{"address": "ada@example.com"}])
    other = new(service, given_name="Bob", emails=[{"address": "bob@example.com"}])
    before = all_items()
    with pytest.raises(Conflict) as caught:
        service.update(
            other.id, CustomerPatch.model_validate({"emails": [{"address": "ada@example.com"}]}), "staff:b", None
        )
    assert caught.value.existing_customer_id == owner.id
    assert all_items() == before


def test_archive_moves_customer_to_the_archived_list_and_is_idempotent(service):
    customer = new(service, given_name="Ada")
    service.archive(customer.id, "staff:a", expected_version=None)
    service.archive(customer.id, "staff:a", expected_version=None)
    assert service.get(customer.id).status == "archived"
    assert [c.id for c in service.list("archived", 10, None).items] == [customer.id]
    assert service.list("active", 10, None).items == []


def test_archive_with_stale_version_is_refused(service):
    customer = new(service, given_name="Ada")
    service.update(customer.id, CustomerPatch(locale="en-GB"), "staff:a", None)
    with pytest.raises(PreconditionFailed):
        service.archive(customer.id, "staff:a", expected_version=1)


def test_list_pages_newest_first_through_every_customer_without_gaps_or_repeats(service):
    created = [new(service, given_name=f"C{i}").id for i in range(23)]
    seen, cursor, pages = [], None, 0
    while True:
        page = service.list("active", 5, cursor)
        seen += [c.id for c in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(created, reverse=True)
    assert pages in (5, 6)  # the last full page may be followed by an empty one


def test_a_cursor_from_another_list_or_edited_by_hand_is_rejected(service):
    for i in range(3):
        new(service, given_name=f"C{i}")
    cursor = service.list("active", 1, None).next_cursor
    with pytest.raises(InvalidRequest):
        service.list("archived", 1, cursor)
    with pytest.raises(InvalidRequest):
        service.list("active", 1, "not-a-cursor")


def test_each_operation_stays_within_its_dynamodb_request_budget(service, repository):
    counter = RequestCounter(repository.client)
    with counter.measure() as create:
        customer = new(service, given_name="Ada", emails=[{"address": "ada@example.com"}])
    with counter.measure() as get:
        service.get(customer.id)
    with counter.measure() as patch:
        service.update(customer.id, CustomerPatch(locale="en-GB"), "staff:a", expected_version=1)
    with counter.measure() as lookup:
        by_email(service, "ada@example.com")
    with counter.measure() as page:
        service.list("active", 25, None)
    assert (sum(create.values()), sum(get.values()), sum(patch.values())) == (1, 1, 1)
    assert sum(lookup.values()) <= 2
    assert sum(page.values()) == 1


def test_timestamps_and_actors_are_recorded(service):
    customer = new(service, actor="staff:creator", given_name="Ada")
    updated = service.update(customer.id, CustomerPatch(locale="en-GB"), "staff:editor", None)
    assert (updated.created_by, updated.updated_by) == ("staff:creator", "staff:editor")
    assert updated.updated_at >= updated.created_at
    assert updated.created_at.tzinfo is not None and updated.created_at <= datetime.now(UTC)
