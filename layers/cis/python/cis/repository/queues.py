"""The SQS queue a function is fed from: put a received message out of sight until a later time."""

from __future__ import annotations

from typing import Any

MAX_VISIBILITY_S = 12 * 60 * 60  # SQS's limit; quiet hours last 11


class MessageQueue:
    def __init__(self, client: Any):
        self.client = client  # an SQS client

    def hide(self, queue_arn: str, receipt_handle: str, seconds: float) -> None:
        """The message comes back after `seconds` (within SQS's bounds); the queue is named by its ARN
        (arn:aws:sqs:region:account:name), as Lambda's records carry it, so nothing needs configuring."""
        *_, account, name = queue_arn.split(":")
        url = self.client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        visibility = max(1, min(int(seconds) + 1, MAX_VISIBILITY_S))
        self.client.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=visibility)
