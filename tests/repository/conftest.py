import itertools

import boto3
import pytest
from cis.domain.changes import ItemChange
from cis.repository.factory import audit_repository, customer_repository, duplicate_repository
from cis.repository.items import from_attributes
from cis.service.changes import ChangeFeed
from cis.service.customers import utcnow
from cis.service.duplicates import DuplicateFinder
from cis_local.table import ensure_table
from moto import mock_aws


@pytest.fixture
def dynamodb():
    with mock_aws():
        client = boto3.client("dynamodb")
        ensure_table(client, "cis-test")
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
def catch_up(dynamodb, repository, bus, all_items):
    """Hand the change feed every profile change since the last call, as the stream processor would
    (moto's in-process mock does not serve the streams API; the API tests use the real stream)."""
    feed = ChangeFeed(
        audit_repository(dynamodb), bus, repository, DuplicateFinder(duplicate_repository(dynamodb), utcnow)
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
