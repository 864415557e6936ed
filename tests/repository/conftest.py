import itertools
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import boto3
import pytest
from cis.domain.changes import ItemChange
from cis.repository.factory import (
    audit_repository,
    churn_repository,
    customer_repository,
    duplicate_repository,
)
from cis.repository.items import from_attributes
from cis.service.changes import ChangeFeed
from cis.service.customers import utcnow
from cis.service.duplicates import DuplicateFinder
from cis.topology import NOTIFIER
from cis_local import moto_fixes
from cis_local.functions import load_handler
from cis_local.gateway import LambdaContext
from cis_local.queues import QueueDriver, create_event_queue
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.dynamodb_local import fresh_table


@pytest.fixture
def dynamodb(dynamodb_local, monkeypatch):
    """The table, empty, in moto's in-process mock or (CIS_TEST_DYNAMODB=local) in DynamoDB Local. The other
    services stay on the mock either way: it passes requests for a non-AWS endpoint through. On the mock,
    with the local runtime's corrections (cis_local.moto_fixes: the same answers, at a cost that grows with
    what a request touches; stock moto deep-copies the whole table for every item of a transaction)."""
    if dynamodb_local:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local)  # every client, the handlers' too
    with mock_aws(), moto_fixes.installed():
        client = boto3.client("dynamodb")
        fresh_table(client, "cis-test")
        yield client


@pytest.fixture
def repository(dynamodb):
    return customer_repository(dynamodb)


@pytest.fixture
def all_items(dynamodb):
    def scan() -> list[dict]:
        pages = dynamodb.get_paginator("scan").paginate(TableName="cis-test")
        return sorted((item for page in pages for item in page["Items"]), key=lambda i: (i["PK"]["S"], i["SK"]["S"]))

    return scan


class RecordingBus:
    """Stands in for EventBridge where a test looks only at what would have been published."""

    def __init__(self):
        self.events = []

    def publish(self, events) -> None:
        self.events += events


@pytest.fixture
def bus():
    return RecordingBus()


@pytest.fixture
def feed_clock():
    return utcnow


@pytest.fixture
def catch_up(dynamodb, repository, bus, all_items, feed_clock):
    """Hand the change feed every profile change since the last call, as the stream processor would
    (moto's in-process mock does not serve the streams API; the API tests use the real stream)."""
    feed = ChangeFeed(
        audit_repository(dynamodb),
        bus,
        repository,
        DuplicateFinder(duplicate_repository(dynamodb), utcnow),
        churn_repository(dynamodb),
        feed_clock,
    )
    seen: dict[str, dict] = {}
    change_ids = itertools.count()

    def run() -> int:
        changed = 0
        for item in all_items():
            image = from_attributes(item)
            if image.get("entity") == "customer" and seen.get(image["id"]) != image:
                feed.handle(ItemChange(f"change-{next(change_ids)}", seen.get(image["id"]), image))
                seen[image["id"]] = image
                changed += 1
        return changed

    return run


# -- the notifier on its real queue (moto SQS, the bus rule the topology declares) ---------------
BUS = "cis-test-bus"


def daytime_zone(now: datetime) -> str:
    """A zone where it is day now: of three zones eight hours apart, one always is."""
    return next(
        zone
        for zone in ("Europe/London", "Asia/Shanghai", "America/Los_Angeles")
        if 9 <= now.astimezone(ZoneInfo(zone)).hour < 19
    )


def create_link_key() -> None:
    """The KMS HMAC key of unsubscribe links, in moto, under the alias the test environment names."""
    kms = boto3.client("kms")
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=os.environ["CIS_UNSUBSCRIBE_KEY_ID"], TargetKeyId=key)


@pytest.fixture
def notifier_queue(dynamodb):
    """The notifier's queue, dead-letter queue and bus rule as the topology declares them, with the
    visibility timeout cut to nothing: each retry comes at once instead of two minutes later."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name=BUS)
    function = NOTIFIER._replace(queue=NOTIFIER.queue._replace(visibility_timeout_s=0))
    queue_url, dead_letter_url = create_event_queue(events, sqs, BUS, function)
    boto3.client("sesv2").create_email_identity(EmailIdentity="reminders@cis.local")
    create_link_key()
    module = load_handler(NOTIFIER)
    driver = QueueDriver(
        sqs,
        queue_url,
        lambda event: module.handler(event, LambdaContext(NOTIFIER)),
        NOTIFIER.queue.batch_size,
        dynamodb.meta.region_name,
    )
    return module, driver, sqs, dead_letter_url


def drain(driver: QueueDriver, most: int = 20) -> int:
    """Deliver until the queue is empty, as Lambda's poller would; how many deliveries it took."""
    for deliveries in range(most):
        if not driver.poll():
            return deliveries
    raise AssertionError(f"the queue still held messages after {most} deliveries")


def waiting(sqs, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def sent_emails(region: str) -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages
