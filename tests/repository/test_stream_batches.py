"""The stream processor's writes per batch, not per record: the real handler and its module-level
clients (moto, or DynamoDB Local with CIS_TEST_DYNAMODB=local), fed stream records built from what
the service stored, as DynamoDB Streams hands them over.

A batch reads the blocks of all its records in one BatchGetItem per 100 keys, queries the pairs only
of customers that existed before it, and writes its audit entries and pair items together, 25 a
BatchWriteItem. A redelivered batch writes the same items again; a batch whose writes do not all
land fails the records whose writes did not land (and those after them), and only those.
"""

import itertools

import boto3
import pytest
from cis.config import settings
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.domain.matching import Fingerprint
from cis.repository.factory import duplicate_repository
from cis.repository.items import from_attributes
from cis.repository.keys import AUDIT_PREFIX, PAIR_PREFIX
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.topology import STREAM_PROCESSOR
from cis_local.functions import load_handler
from cis_local.gateway import LambdaContext
from cis_local.request_counter import RequestCounter

from tests.repository.faults import NO_BACKOFF, inject, json_error
from tests.repository.test_duplicates import ROBERT

ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/cis-test/stream/2026-01-01T00:00:00.000"
NAMES = ["Ada", "Grace", "Katherine", "Hedy", "Barbara", "Frances", "Radia", "Margaret", "Joan", "Dorothy"]
FAMILIES = ["Lovelace", "Hopper", "Johnson", "Lamarr", "Liskov", "Allen", "Perlman", "Hamilton"]


@pytest.fixture
def processor(dynamodb, monkeypatch):
    monkeypatch.setattr(*NO_BACKOFF)
    boto3.client("events").create_event_bus(Name=settings.event_bus_name)
    return load_handler(STREAM_PROCESSOR)


@pytest.fixture
def service(repository, dynamodb):
    return CustomerService(repository, DuplicateFinder(duplicate_repository(dynamodb), utcnow))


@pytest.fixture
def image(dynamodb):
    def read(customer_id: str) -> dict:
        key = {"PK": {"S": f"CUST#{customer_id}"}, "SK": {"S": "V#PROFILE"}}
        return dynamodb.get_item(TableName="cis-test", Key=key, ConsistentRead=True)["Item"]

    return read


sequence = itertools.count(100)


def record(before: dict | None, after: dict) -> dict:
    """A stream record of a profile going from `before` to `after` (stored items)."""
    images = {"Keys": {k: after[k] for k in ("PK", "SK")}, "NewImage": after}
    if before is not None:
        images["OldImage"] = before
    number = next(sequence)
    images |= {"SequenceNumber": f"{number}", "StreamViewType": "NEW_AND_OLD_IMAGES", "SizeBytes": 1}
    return {
        "eventID": f"change-{number}",
        "eventName": "MODIFY" if before else "INSERT",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "eventSourceARN": ARN,
        "dynamodb": images,
    }


def run(processor, records: list[dict]) -> list[str]:
    """The sequence numbers the handler reports failed (Lambda redelivers from the first of them)."""
    result = processor.handler({"Records": records}, LambdaContext(STREAM_PROCESSOR))
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def written(all_items) -> list[dict]:
    """The stream's items (audit entries, pairs), without the time a pair was found."""
    items = [i for i in all_items() if i["PK"]["S"].startswith(AUDIT_PREFIX) or i["SK"]["S"].startswith(PAIR_PREFIX)]
    return [{k: v for k, v in item.items() if k != "found_at"} for item in items]


def audit_entries(all_items) -> list[dict]:
    return [item for item in all_items() if item["PK"]["S"].startswith(AUDIT_PREFIX)]


@pytest.fixture
def thirty_new(service, image):
    """INSERT records of 30 new customers, none like another (one batch)."""
    people = [(given, family) for family in FAMILIES for given in NAMES][:30]
    records = []
    for number, (given, family) in enumerate(people):
        created = service.create(
            CustomerCreate(
                given_name=given,
                family_name=family,
                emails=[{"address": f"{given}.{family}.{number}@example.com".lower()}],
                birthday=f"19{50 + number}-0{1 + number % 9}-1{number % 10}",
            ),
            "staff:test",
        )
        records.append(record(None, image(created.id)))
    return records


def test_a_batch_of_new_customers_costs_one_batch_get_and_a_batch_write_per_25_entries(
    processor, thirty_new, all_items
):
    probe_keys = set().union(
        *(Fingerprint.of(from_attributes(r["dynamodb"]["NewImage"])).probe_keys() for r in thirty_new)
    )
    assert 100 < len(probe_keys) <= 200
    counter = RequestCounter(processor.client)
    assert run(processor, thirty_new) == []
    # The 30 customers' distinct probe keys, 100 a BatchGetItem: two; no Query (none existed before
    # the batch, so none has pairs); 30 audit entries and no pair: two BatchWriteItem.
    assert dict(counter.calls) == {"BatchGetItem": 2, "BatchWriteItem": 2}
    entries = audit_entries(all_items)
    assert len(entries) == 30
    assert {e["change_id"]["S"] for e in entries} == {r["eventID"] for r in thirty_new}
    assert all(e["event"]["S"] == "customer.created" for e in entries)


def test_a_redelivered_batch_overwrites_its_items_with_themselves(processor, service, image, all_items):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    bob = service.create(CustomerCreate(given_name="Bob", family_name="Mueller"), "staff:b")
    bob_v1 = image(bob.id)
    service.update(bob.id, CustomerPatch(birthday="1980-05-17"), "staff:b", None)
    batch = [record(None, image(robert.id)), record(None, bob_v1), record(bob_v1, image(bob.id))]

    assert run(processor, batch) == []
    first = written(all_items)
    pairs = [item for item in first if item["SK"]["S"].startswith(PAIR_PREFIX)]
    assert len(pairs) == 2  # both copies of Robert and Bob's pair, found by the batch's third record
    assert len([item for item in first if item["PK"]["S"].startswith(AUDIT_PREFIX)]) == 3

    counter = RequestCounter(processor.client)
    assert run(processor, batch) == []
    assert written(all_items) == first
    assert counter.calls["Query"] == 0  # both customers are new in the batch: no pairs to read


def test_a_change_undone_in_the_same_batch_leaves_no_pair_and_one_existing_customer_is_queried(
    processor, service, image, all_items
):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    bob = service.create(CustomerCreate(given_name="Bob", family_name="Mueller"), "staff:b")
    robert_v1, bob_v1 = image(robert.id), image(bob.id)
    service.update(bob.id, CustomerPatch(birthday="1980-05-17"), "staff:b", None)
    bob_v2 = image(bob.id)
    assert run(processor, [record(None, robert_v1), record(None, bob_v1), record(bob_v1, bob_v2)]) == []
    assert len([i for i in written(all_items) if i["SK"]["S"].startswith(PAIR_PREFIX)]) == 2

    service.update(bob.id, CustomerPatch(birthday="1955-01-01"), "staff:b", None)
    bob_v3 = image(bob.id)
    service.update(bob.id, CustomerPatch(birthday="1980-05-17"), "staff:b", None)
    bob_v4 = image(bob.id)
    service.update(bob.id, CustomerPatch(birthday="1955-01-01"), "staff:b", None)
    bob_v5 = image(bob.id)
    counter = RequestCounter(processor.client)
    batch = [record(bob_v2, bob_v3), record(bob_v3, bob_v4), record(bob_v4, bob_v5)]
    assert run(processor, batch) == []
    # The pair left, came back and left again within the batch: one write per item, the last one.
    assert [i for i in written(all_items) if i["SK"]["S"].startswith(PAIR_PREFIX)] == []
    assert counter.calls["Query"] == 1  # Bob's pairs, read once for his three changes
    assert counter.calls["BatchGetItem"] == 1
    assert counter.calls["BatchWriteItem"] == 1  # 3 audit entries, 2 pair deletions


def test_a_batch_write_that_fails_fails_the_records_whose_writes_did_not_land(processor, thirty_new, all_items):
    calls = itertools.count()

    def second_fails(request):
        return json_error("ValidationException")(request) if next(calls) >= 1 else None

    with inject(processor.client, "BatchWriteItem", second_fails):
        failed = run(processor, thirty_new)
    sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in thirty_new]
    # The first 25 entries landed (the first BatchWriteItem): their records succeed; the rest fail.
    assert failed == sequence_numbers[25:]
    assert len(audit_entries(all_items)) == 25

    # Lambda redelivers from the first failed record: the batch is complete, and nothing is doubled.
    assert run(processor, thirty_new[25:]) == []
    entries = audit_entries(all_items)
    assert len(entries) == 30
    assert {e["change_id"]["S"] for e in entries} == {r["eventID"] for r in thirty_new}


def test_a_failing_read_fails_the_whole_batch_and_writes_nothing(processor, thirty_new, all_items):
    with inject(processor.client, "BatchGetItem", json_error("ValidationException")):
        failed = run(processor, thirty_new)
    assert failed == [r["dynamodb"]["SequenceNumber"] for r in thirty_new]
    assert audit_entries(all_items) == []
