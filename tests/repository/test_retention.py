"""The daily retention job: the archived customers whose retention ended today are erased, read from
their day's index partition only; a re-run finds nothing left."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from cis.domain.customer import CustomerCreate
from cis.domain.retention import RetentionRules
from cis.repository.factory import customer_repository, erasure_repository, erasures_due
from cis.service.customers import CustomerService
from cis.service.erasure import ErasureService
from cis.service.retention import RetentionJob
from cis_local.request_counter import ItemsRead

TODAY = datetime.now(UTC)
DAYS = RetentionRules().archived_profiles_days


def archived(repository, name: str, when: datetime, restore: bool = False) -> str:
    service = CustomerService(repository, clock=lambda: when)
    customer = service.create(CustomerCreate(given_name=name, emails=[{"address": f"{name}@example.com"}]), "staff:t")
    service.archive(customer.id, "staff:t", None)
    if restore:
        service.restore(customer.id, "staff:t", None)
    return customer.id


def test_the_job_erases_those_due_today_reading_only_their_index_partition(dynamodb, repository, all_items):
    long_ago = TODAY - timedelta(days=DAYS)
    due = [archived(repository, f"due{n}", long_ago) for n in range(3)]
    recent = [archived(repository, f"recent{n}", TODAY - timedelta(days=30)) for n in range(4)]
    back = archived(repository, "restored", long_ago, restore=True)
    CustomerService(repository).create(CustomerCreate(given_name="Active"), "staff:t")

    index = boto3.client("dynamodb")  # the job's index reads, counted on a client of their own
    reads = ItemsRead(index)
    erasure = ErasureService(
        CustomerService(customer_repository(dynamodb)),
        erasure_repository(dynamodb),
        lambda: TODAY,
        delete_endpoint=lambda endpoint: pytest.fail(f"none of them registered a device, yet {endpoint} was deleted"),
    )
    job = RetentionJob(erasures_due(index), erasure, page_size=2)
    run = job.run(TODAY.date(), None, lambda: True)

    assert (run.read, run.erased, run.cursor) == (3, 3, None)
    assert reads.items == 3  # the day's due customers, whatever else the table holds
    statuses = {c.id: c.status for c in map(repository.customer, _profiles(all_items()))}
    assert {statuses[i] for i in due} == {"erased"}
    assert {statuses[i] for i in recent} == {"archived"} and statuses[back] == "active"

    again = job.run(TODAY.date(), None, lambda: True)
    assert (again.read, again.erased) == (0, 0) and reads.items == 3  # nothing left to read


def _profiles(items: list[dict]) -> list[dict]:
    return [i for i in items if i["SK"]["S"] == "V#PROFILE"]
