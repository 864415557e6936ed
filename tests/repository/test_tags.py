"""Customers by tag: copies written with the tag change, one Query per page, refreshed after edits."""

import pytest
from cis.domain.changes import ItemChange
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.errors import InvalidRequest, Unprocessable
from cis.repository.factory import audit_repository, duplicate_repository
from cis.repository.items import from_attributes
from cis.service.changes import ChangeFeed
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis_local.request_counter import RequestCounter


@pytest.fixture
def service(repository):
    return CustomerService(repository)


def ids(page) -> list[str]:
    return [customer.id for customer in page.items]


def test_tagging_at_create_and_by_patch_lists_the_customer_under_each_tag(service):
    ada = service.create(CustomerCreate(given_name="Ada", tags=["VIP", "gym"]), "staff:a")
    bob = service.create(CustomerCreate(given_name="Bob"), "staff:a")
    service.update(bob.id, CustomerPatch(tags=["vip"]), "staff:b", None)
    assert ids(service.tagged("vip", 10, None)) == sorted([ada.id, bob.id], reverse=True)
    assert ids(service.tagged("gym", 10, None)) == [ada.id]
    service.update(ada.id, CustomerPatch(tags=["gym"]), "staff:b", None)  # untagged vip
    assert ids(service.tagged("vip", 10, None)) == [bob.id]


def test_a_tag_page_is_one_request_and_pages_to_the_end(service, repository):
    tagged = {service.create(CustomerCreate(given_name=f"C{i}", tags=["b2b"]), "s").id for i in range(7)}
    counter = RequestCounter(repository.client)
    seen, cursor = [], None
    while True:
        with counter.measure() as calls:
            page = service.tagged("b2b", 3, cursor)
        assert sum(calls.values()) == 1
        seen += ids(page)
        if not (cursor := page.next_cursor):
            break
    assert set(seen) == tagged and len(seen) == 7


def test_a_tag_cursor_does_not_page_another_tag(service):
    for i in range(3):
        service.create(CustomerCreate(given_name=f"C{i}", tags=["a", "b"]), "s")
    cursor = service.tagged("a", 1, None).next_cursor
    with pytest.raises(InvalidRequest):
        service.tagged("b", 1, cursor)


def test_an_edit_reaches_the_tag_list_through_the_stream_refresh(service, repository, dynamodb):
    ada = service.create(CustomerCreate(given_name="Ada", tags=["vip"]), "s")
    before = from_attributes(dynamodb.get_item(TableName="cis-test", Key=_profile(ada.id))["Item"])
    service.update(ada.id, CustomerPatch(given_name="Ada L."), "staff:b", None)  # one UpdateItem: no tag copy write
    after = from_attributes(dynamodb.get_item(TableName="cis-test", Key=_profile(ada.id))["Item"])
    assert service.tagged("vip", 10, None).items[0].given_name == "Ada"

    duplicates = DuplicateFinder(duplicate_repository(dynamodb), utcnow)
    feed = ChangeFeed(audit_repository(dynamodb), _NoBus(), repository, duplicates)
    assert feed.handle(ItemChange("ev-1", before, after)) == "customer.updated"
    refreshed = service.tagged("vip", 10, None).items[0]
    assert (refreshed.given_name, refreshed.version) == ("Ada L.", 2)


def test_a_refresh_never_brings_back_a_removed_tag(service, repository, dynamodb):
    ada = service.create(CustomerCreate(given_name="Ada", tags=["vip"]), "s")
    old_image = from_attributes(dynamodb.get_item(TableName="cis-test", Key=_profile(ada.id))["Item"])
    service.update(ada.id, CustomerPatch(tags=[]), "staff:b", None)
    stale = repository.customer(dynamodb.get_item(TableName="cis-test", Key=_profile(ada.id))["Item"])
    repository.refresh_tag_copies(stale.model_copy(update={"tags": ["vip"], "version": 9}))
    assert service.tagged("vip", 10, None).items == [] and old_image["tags"] == ["vip"]


def test_a_patch_too_large_for_one_atomic_write_is_refused_whole(service, all_items):
    ada = service.create(CustomerCreate(given_name="Ada", tags=[f"t{i}" for i in range(50)]), "s")
    before = all_items()
    with pytest.raises(Unprocessable):  # 422, as a create too large for one write is
        service.update(ada.id, CustomerPatch(tags=[f"n{i}" for i in range(50)]), "staff:b", None)
    assert all_items() == before


class _NoBus:
    def publish(self, events):
        self.events = events


def _profile(customer_id: str) -> dict:
    return {"PK": {"S": f"CUST#{customer_id}"}, "SK": {"S": "V#PROFILE"}}
