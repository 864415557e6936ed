"""PutEvents faults under the stream processor and the bus: the real handler and its module-level
EventBridge client on moto, the fault injected by a botocore hook (faults.py).

EventBridge can take some entries of a PutEvents and refuse others (FailedEntryCount). Only the
refused entries are sent again; an entry still refused fails its stream record, and the records
after it wait, so the stream redelivers them all: no event is dropped or sent twice, none overtakes
another, and nothing is acknowledged that did not reach the bus.
"""

import json

import boto3
import pytest
from cis.config import settings
from cis.domain.changes import DomainEvent
from cis.domain.customer import CustomerCreate
from cis.repository.bus import ATTEMPTS as EVENT_ATTEMPTS
from cis.repository.bus import EventBus, PublishFailed
from cis.repository.factory import MAX_ATTEMPTS
from cis.repository.keys import AUDIT_PREFIX
from cis.service.customers import CustomerService
from cis.topology import STREAM_PROCESSOR
from cis_local.functions import load_handler
from cis_local.gateway import LambdaContext

from tests.repository.faults import NO_BACKOFF, inject, json_error, put_events_failing

ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/cis-test/stream/2026-01-01T00:00:00.000"


@pytest.fixture
def delivered(dynamodb, monkeypatch):
    """The project's bus with a rule sending every event to a queue; returns a reader of that queue."""
    monkeypatch.setattr(*NO_BACKOFF)
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name=settings.event_bus_name)
    url = sqs.create_queue(QueueName="seen")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=settings.event_bus_name, EventPattern=json.dumps({"source": ["cis"]}))
    events.put_targets(Rule="all", EventBusName=settings.event_bus_name, Targets=[{"Id": "seen", "Arn": arn}])

    def read() -> list[dict]:
        seen = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            seen += [json.loads(message["Body"]) for message in messages]
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in messages]
            )
        return seen

    return read


@pytest.fixture
def processor(delivered):
    return load_handler(STREAM_PROCESSOR)


@pytest.fixture
def three_created(dynamodb, repository):
    """Stream records of three new customers, as DynamoDB Streams hands them over (one batch)."""
    service = CustomerService(repository)
    records = []
    for number, name in enumerate(["Ada", "Grace", "Katherine"]):
        customer = service.create(CustomerCreate(given_name=name), "staff:test")
        item = dynamodb.get_item(
            TableName="cis-test", Key={"PK": {"S": f"CUST#{customer.id}"}, "SK": {"S": "V#PROFILE"}}
        )
        images = {"Keys": {k: item["Item"][k] for k in ("PK", "SK")}, "NewImage": item["Item"]}
        images |= {"SequenceNumber": f"{100 + number}", "StreamViewType": "NEW_AND_OLD_IMAGES", "SizeBytes": 1}
        records.append(
            {"eventID": f"change-{number}", "eventName": "INSERT", "eventSource": "aws:dynamodb"}
            | {"awsRegion": "eu-west-1", "eventSourceARN": ARN, "dynamodb": images}
        )
    return records


def run(processor, records: list[dict]) -> list[str]:
    """The sequence numbers the handler reports failed (Lambda redelivers from the first of them)."""
    result = processor.handler({"Records": records}, LambdaContext(STREAM_PROCESSOR))
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def customer_of(entry: dict) -> str:
    return json.loads(entry["Detail"])["customer_id"]


def ids(records: list[dict]) -> list[str]:
    return [record["dynamodb"]["NewImage"]["id"]["S"] for record in records]


def audit_entries(dynamodb) -> list[dict]:
    items = dynamodb.scan(TableName="cis-test")["Items"]
    return [item for item in items if item["PK"]["S"].startswith(AUDIT_PREFIX)]


def test_an_entry_the_bus_refuses_once_is_sent_again_alone_and_the_batch_succeeds(processor, three_created, delivered):
    ada, grace, katherine = ids(three_created)
    refused = []

    def once_for_grace(entry):
        if customer_of(entry) == grace and not refused:
            refused.append(entry)
            return "InternalFailure"
        return None

    with inject(processor.feed.bus.client, "PutEvents", put_events_failing(once_for_grace)) as fault:
        assert run(processor, three_created) == []

    sent = [[customer_of(entry) for entry in call["Entries"]] for call in fault.seen]
    assert sent == [[ada], [grace], [grace], [katherine]]  # the retry carried the refused entry only
    events = delivered()
    assert sorted(event["detail"]["customer_id"] for event in events) == sorted([ada, grace, katherine])


def test_an_entry_the_bus_keeps_refusing_fails_its_record_and_its_redelivery_sends_it(
    processor, three_created, delivered, dynamodb
):
    ada, grace, katherine = ids(three_created)
    refuse_grace = put_events_failing(lambda entry: "ThrottlingException" if customer_of(entry) == grace else None)
    with inject(processor.feed.bus.client, "PutEvents", refuse_grace) as fault:
        failed = run(processor, three_created)

    assert failed == ["101", "102"]  # Grace's record, and Katherine's after it: not acknowledged
    tries = [call for call in fault.seen if grace in map(customer_of, call["Entries"])]
    assert len(tries) == EVENT_ATTEMPTS and all(len(call["Entries"]) == 1 for call in tries)
    assert [event["detail"]["customer_id"] for event in delivered()] == [ada]  # Katherine's waits for Grace's

    assert run(processor, three_created[1:]) == []  # Lambda redelivers from the failed record on
    assert [event["detail"]["customer_id"] for event in delivered()] == [grace, katherine]  # once each, in order
    assert len(audit_entries(dynamodb)) == 3  # every change audited once


def test_a_put_events_throttled_past_botocores_retries_fails_only_that_record(processor, three_created, delivered):
    ada, grace, _ = ids(three_created)

    def throttle_grace(request):
        entries = json.loads(request.body)["Entries"]
        return json_error("ThrottlingException")(request) if customer_of(entries[0]) == grace else None

    with inject(processor.feed.bus.client, "PutEvents", throttle_grace) as fault:
        failed = run(processor, three_created)
    assert failed == ["101", "102"]
    assert fault.injected == MAX_ATTEMPTS  # botocore retried the PutEvents before giving up
    assert [event["detail"]["customer_id"] for event in delivered()] == [ada]


def event(number: int) -> DomainEvent:
    return DomainEvent(
        "subscription.renewal_due", f"event-{number:02d}", f"customer-{number:02d}", "2026-11-23T00:00:00+00:00", "x"
    )


def test_a_publish_of_many_sends_again_only_the_refused_entries(dynamodb, delivered):
    bus = EventBus(boto3.client("events"), settings.event_bus_name)
    refused: set[str] = set()

    def twice_once(entry):
        number = json.loads(entry["Detail"])["event_id"]
        if number in ("event-03", "event-11") and number not in refused:
            refused.add(number)
            return "InternalFailure"
        return None

    with inject(bus.client, "PutEvents", put_events_failing(twice_once)) as fault:
        bus.publish([event(number) for number in range(12)])

    assert [len(call["Entries"]) for call in fault.seen] == [10, 2, 2]
    resent = [json.loads(entry["Detail"])["event_id"] for call in fault.seen[2:] for entry in call["Entries"]]
    assert sorted(resent) == ["event-03", "event-11"]
    got = [event["detail"]["event_id"] for event in delivered()]
    assert sorted(got) == [f"event-{number:02d}" for number in range(12)]  # each once


def test_a_publish_names_the_events_the_bus_never_took(dynamodb, delivered):
    bus = EventBus(boto3.client("events"), settings.event_bus_name)
    refuse_four = put_events_failing(lambda entry: "InternalFailure" if "event-04" in entry["Detail"] else None)
    with inject(bus.client, "PutEvents", refuse_four), pytest.raises(PublishFailed) as failure:
        bus.publish([event(number) for number in range(6)])
    assert failure.value.event_ids == ["event-04"]
    assert len(delivered()) == 5


def test_a_batch_whose_first_record_fails_reports_every_record_for_redelivery(processor, three_created, delivered):
    ada = ids(three_created)[0]
    refuse_ada = put_events_failing(lambda entry: "InternalFailure" if customer_of(entry) == ada else None)
    with inject(processor.feed.bus.client, "PutEvents", refuse_ada):
        assert run(processor, three_created) == ["100", "101", "102"]  # a response, not a function error
    assert delivered() == []
