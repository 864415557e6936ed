"""The table's stream, one batch at a time: audit entry and domain event for each committed change.

Powertools batch processing reports the records that failed, so Lambda retries from the first of
them; the audit entry is written once and events carry their id, so a retry is safe. Records after
a failed one wait for that retry: handled now, their events would go out twice, and out of order.
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
client = dynamodb_client()
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


def record_handler(record: DynamoDBRecord) -> None:
    if processor.fail_messages:
        raise Postponed(record.dynamodb.sequence_number)
    images = record.raw_event["dynamodb"]
    change = ItemChange(
        change_id=record.event_id,
        before=from_attributes(images["OldImage"]) if "OldImage" in images else None,
        after=from_attributes(images["NewImage"]) if "NewImage" in images else None,
    )
    kind = feed.handle(change)
    if kind:
        metrics.add_metric(name="DomainEvents", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
