"""The notifier: SQS batches of due reminders, check-ins and support replies; each sent once, through a
consented channel, by day."""

from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from cis.config import settings
from cis.domain.notifications import CheckInDue, ReplyDue
from cis.domain.reminders import RenewalDue
from cis.repository.factory import (
    NOTIFIER_ATTEMPTS,
    customer_repository,
    dynamodb_client,
    link_key,
    message_queue,
    notification_repository,
    senders,
)
from cis.service.notifications import Deferred, Notifier
from cis.service.unsubscribe import Links

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
client = dynamodb_client(NOTIFIER_ATTEMPTS)  # patient: see NOTIFIER_ATTEMPTS
links = Links(link_key(at_first_use=True), settings.public_api_url)  # one-click unsubscribe links
notifier = Notifier(customer_repository(client), notification_repository(client), senders(), links=links)
queue = message_queue()


def record_handler(record: SQSRecord) -> str:
    body = record.json_body
    if body["detail-type"] == "customer.check_in_due":
        due = CheckInDue.model_validate(body["detail"])
        send, label = notifier.check_in, {"check_in_for": due.customer_id}
    elif body["detail-type"] == "ticket.replied":
        due = ReplyDue.model_validate(body["detail"])
        send, label = notifier.support_reply, {"reply_on": due.ticket_id}
    else:
        due = RenewalDue.model_validate(body["detail"])
        send, label = notifier.renewal_due, {"subscription_id": due.subscription_id}
    try:
        outcome = send(due)
    except Deferred as deferred:
        # Back on the queue, out of sight until the customer's morning: failing the record keeps it.
        wait = (deferred.until - datetime.now(UTC)).total_seconds()
        queue.hide(record.event_source_arn, record.receipt_handle, wait)
        logger.info("deferred: quiet hours", extra=label | {"until": str(deferred.until)})
        raise
    metrics.add_metric(name=f"Notifications_{outcome.status}", unit=MetricUnit.Count, value=1)
    logger.info(f"{body['detail-type']} handled", extra=label | {"outcome": outcome.status, "reason": outcome.reason})
    return outcome.status


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
