"""Sending a message: email through SES, SMS through SNS. Each returns the provider's message id."""

from __future__ import annotations

from typing import Any

from cis.domain.notifications import Message


class EmailSender:
    def __init__(self, client: Any, from_address: str):
        self.client, self.from_address = client, from_address  # an SESv2 client

    def send(self, address: str, message: Message) -> str:
        simple = {
            "Subject": {"Data": message.subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
        }
        if message.unsubscribe_url:
            simple["Headers"] = unsubscribe_headers(message.unsubscribe_url)
        response = self.client.send_email(
            FromEmailAddress=self.from_address,
            Destination={"ToAddresses": [address]},
            Content={"Simple": simple},
        )
        return response["MessageId"]


def unsubscribe_headers(url: str) -> list[dict[str, str]]:
    """RFC 8058 one-click: the mail client POSTs List-Unsubscribe=One-Click to the link (SES signs these
    headers with the identity's DKIM key, which RFC 8058 requires)."""
    return [
        {"Name": "List-Unsubscribe", "Value": f"<{url}>"},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
    ]


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
