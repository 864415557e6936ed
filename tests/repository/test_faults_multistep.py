"""Throttling under writes that are not one plain transaction: a ticket's status (read, then a
conditional transaction the service retries on a lost race), a consent (a second transaction when
a later capture is current) and a merge (lock, plan, apply in several transactions, undone on
failure). Throttling is 503, never mistaken for a concurrent change (409), and a merge it stops
leaves every customer as it was and unlocked."""

import pytest
from cis.domain.customer import CustomerCreate
from cis.service.customers import CustomerService
from cis.topology import CONSENTS_API, DATA_QUALITY_API, TIMELINE_API

from tests.repository.faults import cancelled, in_process, inject, json_error
from tests.repository.test_faults_api import assert_busy


@pytest.fixture
def timeline(dynamodb, monkeypatch):
    call = in_process(TIMELINE_API, monkeypatch)
    monkeypatch.setattr(call.module.service, "pause", lambda attempt: None)
    return call


@pytest.fixture
def data_quality(dynamodb, monkeypatch):
    return in_process(DATA_QUALITY_API, monkeypatch)


@pytest.fixture
def two_customers(repository):
    service = CustomerService(repository)
    return [
        service.create(CustomerCreate(given_name="Ada", emails=[{"address": f"ada{n}@example.com"}]), "staff:test").id
        for n in (1, 2)
    ]


def test_a_ticket_update_cancelled_by_throttling_is_503_not_a_concurrent_update(timeline, two_customers, all_items):
    customer = two_customers[0]
    status, _, ticket = timeline(
        "POST",
        f"/v1/customers/{customer}/interactions",
        {"type": "ticket", "subject": "Wrong size", "body": "Too small"},
    )
    assert status == 201, ticket
    before = all_items()
    with inject(timeline.client, "TransactWriteItems", cancelled("ThrottlingError", "None")) as fault:
        answer = timeline("PATCH", f"/v1/customers/{customer}/interactions/{ticket['id']}", {"status": "solved"})
    assert_busy(*answer)
    assert fault.injected == 1  # not re-read and retried as if another writer had won
    assert all_items() == before


def test_a_merge_whose_lock_is_throttled_is_503_and_locks_nobody(data_quality, two_customers, all_items):
    survivor, merged = two_customers
    before = all_items()
    with inject(data_quality.client, "TransactWriteItems", cancelled("None", "ThrottlingError", "None")):
        answer = data_quality("POST", f"/v1/customers/{survivor}/merge", {"merge_ids": [merged]})
    assert_busy(*answer)
    assert all_items() == before


def closing(request) -> bool:
    """The merge's last transaction: the profiles and the log's move to `done`."""
    return b'"done"' in request.body


def test_a_merge_throttled_at_its_last_step_is_503_and_undone(data_quality, two_customers, all_items):
    survivor, merged = two_customers
    before = all_items()
    throttle_closing = lambda request: json_error("ThrottlingException")(request) if closing(request) else None  # noqa: E731
    with inject(data_quality.client, "TransactWriteItems", throttle_closing) as fault:
        answer = data_quality("POST", f"/v1/customers/{survivor}/merge", {"merge_ids": [merged]})
    assert_busy(*answer)
    assert fault.injected >= 1
    customers = [item for item in all_items() if not item["PK"]["S"].startswith("MERGE#")]
    assert customers == before  # moved items moved back, both profiles as they were, unlocked
    [log] = [item for item in all_items() if item["SK"]["S"] == "LOG"]
    assert log["status"]["S"] == "failed"


@pytest.mark.parametrize(
    "fault",
    [cancelled("None", "None", "ThrottlingError"), json_error("ProvisionedThroughputExceededException")],
    ids=["cancelled-by-throttling", "throttled"],
)
def test_a_consent_throttled_is_503_and_records_nothing(dynamodb, monkeypatch, two_customers, all_items, fault):
    consents = in_process(CONSENTS_API, monkeypatch)
    monkeypatch.setattr(consents.module.consents, "pause", lambda attempt: None)
    before = all_items()
    with inject(consents.client, "TransactWriteItems", fault):
        answer = consents(
            "PUT", f"/v1/customers/{two_customers[0]}/consents/email/marketing", {"status": "granted", "source": "web"}
        )
    assert_busy(*answer)
    assert all_items() == before  # no ledger entry, no timeline entry, the profile's consents unchanged
