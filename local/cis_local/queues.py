"""Lambda's SQS event source, locally: an EventBridge rule fills a queue (with a dead-letter queue),
and batches go to the function; only the records it reports as failed stay for redelivery."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

from cis.topology import Function

logger = logging.getLogger("cis.local.queues")


def create_event_queue(events, sqs, bus_name: str, function: Function) -> tuple[str, str]:
    """The function's queue and dead-letter queue, and the bus rule that feeds it (as the CDK app makes them)."""
    spec = function.queue
    name = f"cis-local-{function.name}"
    dead_letter_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_letter_arn = _arn(sqs, dead_letter_url)
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(spec.max_receive_count)}
    queue_url = sqs.create_queue(
        QueueName=name,
        Attributes={"VisibilityTimeout": str(spec.visibility_timeout_s), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    pattern = {"source": ["cis"], "detail-type": list(spec.detail_types)}
    events.put_rule(Name=f"{function.name}-events", EventBusName=bus_name, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule=f"{function.name}-events", EventBusName=bus_name, Targets=[{"Id": "queue", "Arn": _arn(sqs, queue_url)}]
    )
    return queue_url, dead_letter_url


def create_work_queue(sqs, s3, bucket: str, function: Function) -> tuple[str, str]:
    """The function's work queue and dead-letter queue, and the bucket notification that feeds it
    (each file PUT under uploads/)."""
    spec = function.work
    name = f"cis-local-{function.name}"
    dead_letter_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    redrive = {"deadLetterTargetArn": _arn(sqs, dead_letter_url), "maxReceiveCount": str(spec.max_receive_count)}
    queue_url = sqs.create_queue(
        QueueName=name,
        Attributes={"VisibilityTimeout": str(spec.visibility_timeout_s), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    uploads = {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": _arn(sqs, queue_url), "Events": ["s3:ObjectCreated:*"], "Filter": uploads}
            ]
        },
    )
    return queue_url, dead_letter_url


def _arn(sqs, queue_url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def sqs_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    """The event Lambda hands a function for a batch of messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


class QueueDriver:
    def __init__(self, sqs, queue_url: str, invoke: Callable[[dict], dict], batch_size: int, region: str):
        self.sqs, self.queue_url, self.invoke, self.batch_size, self.region = sqs, queue_url, invoke, batch_size, region
        self.queue_arn = _arn(sqs, queue_url)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"queue {queue_url}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                received = self.poll()
            except Exception:  # keep polling, as Lambda's poller does
                logger.exception("receiving a batch failed")
                received = 0
            if not received:
                # Short polls and a pause, never a long poll: the local moto server serves one request
                # at a time, so a waiting receive would hold up every API call behind it.
                self._stop.wait(1)

    def poll(self, wait_s: int = 0) -> int:
        """One batch: receive, invoke, delete what succeeded. Returns how many messages it received."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            result = self.invoke(sqs_event(messages, self.queue_arn, self.region)) or {}
        except Exception:  # an invocation error (Powertools raises one when every record failed)
            logger.warning("the function failed the whole batch; it comes back after its visibility timeout")
            result = {"batchItemFailures": [{"itemIdentifier": message["MessageId"]} for message in messages]}
        failed = {failure["itemIdentifier"] for failure in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)
