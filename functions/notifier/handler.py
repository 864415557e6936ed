"""The notifier: SQS batches of due reminders; each sent once, through a consented channel, by day."""

from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from cis.domain.notifications import RenewalDue
from cis.repository.factory import customer_repository, dynamodb_client, notification_repository, senders
from cis.service.notifications import Deferred, Notifier

logger, tracer, metrics = Logger(), Tracer(), Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
client = dynamodb_client()
notifier = Notifier(customer_repository(client), notification_repository(client), senders())
sqs = boto3.client("sqs")
MAX_VISIBILITY_S = 12 * 60 * 60  # SQS's limit; quiet hours last 11


def _queue_url(arn: str) -> str:
    """The queue a record came from (arn:aws:sqs:region:account:name), without configuring it."""
    *_, account, name = arn.split(":")
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def record_handler(record: SQSRecord) -> str:
    due = RenewalDue.model_validate(record.json_body["detail"])
    try:
        outcome = notifier.renewal_due(due)
    except Deferred as deferred:
        # Back on the queue, out of sight until the customer's morning: failing the record keeps it.
        wait = (deferred.until - datetime.now(UTC)).total_seconds()
        sqs.change_message_visibility(
            QueueUrl=_queue_url(record.event_source_arn),
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=max(1, min(int(wait) + 1, MAX_VISIBILITY_S)),
        )
        logger.info(
            "deferred: quiet hours", extra={"subscription_id": due.subscription_id, "until": str(deferred.until)}
        )
        raise
    metrics.add_metric(name=f"Notifications_{outcome.status}", unit=MetricUnit.Count, value=1)
    logger.info(
        "renewal reminder handled",
        extra={"subscription_id": due.subscription_id, "outcome": outcome.status, "reason": outcome.reason},
    )
    return outcome.status


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
