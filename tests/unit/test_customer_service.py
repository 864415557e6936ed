"""Use-case rules of the customer service, with a fake repository (no AWS)."""

import pytest
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.domain.keys import key_from_query
from cis.errors import Conflict, PreconditionFailed
from cis.repository.customers import Page, VersionConflict
from cis.service.customers import MAX_ATTEMPTS, CustomerService


class RacingRepository:
    """Loses the first `losses` writes to another writer, then behaves."""

    def __init__(self, losses: int):
        self.losses, self.writes, self.stored = losses, 0, None

    def _write(self, customer):
        self.writes += 1
        if self.writes <= self.losses:
            raise VersionConflict
        self.stored = customer

    def create(self, customer):
        self._write(customer)

    def replace(self, customer, previous):
        self._write(customer)

    def get(self, customer_id):
        return self.stored


def service_with(repository, pauses: list):
    return CustomerService(repository, pause=pauses.append)


def test_create_that_loses_a_race_is_retried_with_backoff():
    pauses = []
    repository = RacingRepository(losses=2)
    customer = service_with(repository, pauses).create(CustomerCreate(given_name="Ada"), "staff:a")
    assert repository.stored == customer
    assert pauses == [0, 1]


def test_create_gives_up_with_a_retryable_conflict_after_max_attempts():
    with pytest.raises(Conflict) as caught:
        service_with(RacingRepository(losses=MAX_ATTEMPTS), []).create(CustomerCreate(given_name="Ada"), "staff:a")
    assert caught.value.code == "concurrent_update"


def test_patch_without_if_match_rereads_and_reapplies_after_losing_a_race():
    repository = RacingRepository(losses=0)
    service = service_with(repository, [])
    customer = service.create(CustomerCreate(given_name="Ada"), "staff:a")
    repository.losses, repository.writes = 2, 0
    updated = service.update(customer.id, CustomerPatch(custom_attributes={"a": 1}), "staff:b", None)
    assert updated.custom_attributes == {"a": 1} and updated.version == 2 and repository.writes == 3


def test_patch_with_if_match_that_loses_a_race_is_412_not_retried():
    repository = RacingRepository(losses=0)
    service = service_with(repository, [])
    customer = service.create(CustomerCreate(given_name="Ada"), "staff:a")
    repository.losses, repository.writes = 1, 0
    with pytest.raises(PreconditionFailed):
        service.update(customer.id, CustomerPatch(custom_attributes={"a": 1}), "staff:b", expected_version=1)
    assert repository.writes == 1


class ListingRepository:
    """Pages of nobody; a lookup finds nobody."""

    def list(self, status, limit, cursor):
        return Page([], None)

    def tagged(self, tag, limit, cursor):
        return Page([], None)

    def at_risk(self, level, limit, cursor):
        return Page([], None)

    def find(self, key):
        return None


class Accesses(list):
    def record(self, actor, action, subject, count, now):
        self.append((actor, action, subject, count))


def test_every_page_of_a_listing_is_on_the_access_log_and_a_lookup_by_key_is_not():
    accesses = Accesses()
    service = CustomerService(ListingRepository(), accesses=accesses)
    for tag, churn_risk in ((None, None), ("vip", None), (None, "high")):
        service.listing(None, tag, "active", churn_risk, 25, None, "staff:a")
    service.listing(
        key_from_query(email="ada@example.com", phone=None, external_id=None), None, "active", None, 25, None, "staff:a"
    )
    assert accesses == [
        ("staff:a", "list", "status=active", 0),
        ("staff:a", "list", "tag=vip", 0),
        ("staff:a", "list", "churn_risk=high", 0),
    ]
