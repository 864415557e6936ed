"""The table's stream, one batch at a time: audit entry and domain event for each committed change.

The batch's writes (audit entries, duplicate pairs) go first, together (ChangeFeed.write: requests
per batch, not per record); then each record is finished (rescore mark, tag copies, its event).
Powertools batch processing reports the records that failed, so Lambda retries from the first of
them: a record whose batched writes did not all land fails (with the error), and so do those after
it. Audit entries are keyed by the change and events carry their id, so a retry is safe. Records
after a failed one wait for that retry: handled now, their events would go out twice, and out of order.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from cis.domain.changes import ItemChange
from cis.domain.moments import utcnow
from cis.repository.factory import (
    audit_repository,
    churn_repository,
    customer_repository,
    duplicate_repository,
    dynamodb_client,
    event_bus,
)
from cis.repository.items import from_attributes
from cis.service.changes import ChangeFeed
from cis.service.duplicates import DuplicateFinder

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = dynamodb_client(validate=False)  # bulk writes the repositories build
feed = ChangeFeed(
    audit_repository(client),
    event_bus(),
    customer_repository(client),
    DuplicateFinder(duplicate_repository(client), utcnow),
    churn_repository(client),
)
# A batch whose first record fails is reported like any other (every record listed), not raised as a
# function error: the stream retries from that record either way, and the local pump does the same.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


class Postponed(Exception):
    """An earlier record of the batch failed: this one comes back with it."""


class Batch:
    """The batch being processed: its changes, written together before the first record is handled."""

    changes: dict[str, ItemChange] = {}
    errors: dict[str, Exception] = {}  # event id -> why its record fails (the first failing one)


def change_of(raw: dict) -> ItemChange:
    images = raw["dynamodb"]
    return ItemChange(
        change_id=raw["eventID"],
        before=from_attributes(images["OldImage"]) if "OldImage" in images else None,
        after=from_attributes(images["NewImage"]) if "NewImage" in images else None,
    )


def write_batch(records: list[dict]) -> None:
    """Read each record's change (up to the first that cannot be read), and write them together."""
    changes: list[ItemChange] = []
    Batch.changes, Batch.errors = {}, {}
    for raw in records:
        try:
            changes.append(change_of(raw))
        except Exception as error:
            Batch.errors[raw.get("eventID", "")] = error
            break
    failed = feed.write(changes)
    if failed is not None:
        Batch.errors[changes[failed.index].change_id] = failed.error
        changes = changes[: failed.index]
    Batch.changes = {change.change_id: change for change in changes}


def record_handler(record: DynamoDBRecord) -> None:
    if processor.fail_messages:
        raise Postponed(record.dynamodb.sequence_number)
    if record.event_id in Batch.errors:
        raise Batch.errors[record.event_id]
    change = Batch.changes.get(record.event_id)
    if change is None:  # not written (cannot happen: every record up to a failed one is)
        raise Postponed(record.dynamodb.sequence_number)
    kind = feed.finish(change)
    if kind:
        metrics.add_metric(name="DomainEvents", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    write_batch(event.get("Records") or [])
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
