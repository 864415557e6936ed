"""Archive means archive: no messages, no writes, in no list; restore brings it all back."""

import pytest
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.errors import Conflict
from cis.repository.factory import duplicate_repository, timeline_repository
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder

from tests.repository.conftest import drain, sent_emails
from tests.repository.test_notifier_failures import reminder_due_today


def test_an_archived_customer_gets_no_renewal_reminder_and_no_entry_about_it(dynamodb, repository, notifier_queue):
    customer, _ = reminder_due_today(dynamodb, repository, "email")  # due today, on the notifier's queue
    CustomerService(repository).archive(customer.id, "staff:test", None)
    driver = notifier_queue[1]
    assert drain(driver) == 1
    assert sent_emails(dynamodb.meta.region_name) == []
    assert timeline_repository(dynamodb).page(customer.id, "notification", 10, None).items == []


def test_archive_and_restore_move_the_blocks_so_an_archived_customer_is_nobodys_duplicate(dynamodb, repository):
    service = CustomerService(repository, DuplicateFinder(duplicate_repository(dynamodb), utcnow))
    ada = CustomerCreate(given_name="Ada", family_name="Lovelace", birthday="1985-12-10")
    first = service.create(ada, "staff:test")
    service.archive(first.id, "staff:test", None)
    second, candidates = service.created(ada, "staff:test", "reject")  # no 409: the archived one is not a match
    assert candidates == []
    restored = service.restore(first.id, "staff:test", None)
    assert restored.status == "active" and restored.version == first.version + 2
    with pytest.raises(Conflict) as refused:
        service.created(ada, "staff:test", "reject")  # both filed again
    assert {c.customer_id for c in refused.value.candidates} == {first.id, second.id}


def test_a_write_racing_an_archive_is_refused_by_its_condition_not_only_by_a_read(dynamodb, repository, monkeypatch):
    service = CustomerService(repository)
    customer = service.create(CustomerCreate(given_name="Ada", tags=["vip"]), "staff:test")
    read = service.get(customer.id)
    monkeypatch.setattr(service, "get", lambda _: read)  # the patch reads the customer before the archive
    service.repository.archive(customer.id, None, "staff:test", utcnow())
    for write in (
        lambda: service.update(customer.id, CustomerPatch(locale="en-GB"), "staff:test", None),  # no read at all
        lambda: service.add_tag(customer.id, "gold", "staff:test"),  # reads, then writes on that version
    ):
        with pytest.raises(Conflict) as refused:
            write()
        assert refused.value.code == "archived"
