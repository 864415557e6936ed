"""Sending a message: email through SES, SMS through SNS. Each returns the provider's message id."""

from __future__ import annotations

from typing import Any

from cis.domain.notifications import Message


class EmailSender:
    def __init__(self, client: Any, from_address: str):
        self.client, self.from_address = client, from_address  # an SESv2 client

    def send(self, address: str, message: Message) -> str:
        response = self.client.send_email(
            FromEmailAddress=self.from_address,
            Destination={"ToAddresses": [address]},
            Content={
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
                }
            },
        )
        return response["MessageId"]


class SmsSender:
    def __init__(self, client: Any):
        self.client = client  # an SNS client

    def send(self, address: str, message: Message) -> str:
        response = self.client.publish(
            PhoneNumber=address,
            Message=message.text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
        return response["MessageId"]
