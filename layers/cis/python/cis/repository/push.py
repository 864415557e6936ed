"""Push notifications through SNS mobile push: a platform endpoint per app install (made from its push
token under the project's platform application for iOS or Android), and messages published to them."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from cis.errors import Conflict

if TYPE_CHECKING:  # the notifier's message: its module brings babel, which registering a device needs not
    from cis.domain.notifications import Message

# SNS answers a token it knows under other attributes with the endpoint's ARN in the message.
_EXISTING = re.compile(r"Endpoint (arn:aws[\w-]*:sns:\S+) already exists")


class PushEndpoints:
    def __init__(self, client: Any, applications: dict[str, str]):
        self.client, self.applications = client, applications  # an SNS client; platform -> application ARN

    def endpoint(self, platform: str, token: str) -> str:
        """The install's endpoint (the same one for the same token), enabled."""
        application = self.applications.get(platform)
        if not application:
            raise Conflict(
                f"push notifications to {platform} apps are not set up here (cdk.json pushPlatformApplications)",
                code="push_not_configured",
            )
        try:
            arn = self.client.create_platform_endpoint(PlatformApplicationArn=application, Token=token)["EndpointArn"]
        except ClientError as error:
            found = _EXISTING.search(error.response.get("Error", {}).get("Message", ""))
            if not found:
                raise
            arn = found.group(1)
        # A token re-registered after SNS disabled its endpoint (the app was reinstalled): live again.
        self.client.set_endpoint_attributes(EndpointArn=arn, Attributes={"Token": token, "Enabled": "true"})
        return arn

    def delete(self, endpoint: str) -> None:
        if endpoint:
            self.client.delete_endpoint(EndpointArn=endpoint)


class PushSender:
    """Sends to every endpoint in `address` (comma-separated: each of the customer's devices)."""

    def __init__(self, client: Any):
        self.client = client

    def send(self, address: str, message: Message) -> str:
        ids, failures = [], []
        for endpoint in address.split(","):
            try:
                ids.append(
                    self.client.publish(TargetArn=endpoint, MessageStructure="json", Message=payload(message))[
                        "MessageId"
                    ]
                )
            except ClientError as error:  # an uninstalled app: SNS disabled its endpoint; the others still go
                if error.response.get("Error", {}).get("Code") != "EndpointDisabled":
                    raise
                failures.append(endpoint)
        if not ids:
            raise RuntimeError(f"every device endpoint refused the message ({len(failures)} disabled)")
        return ids[0]


def payload(message: Message) -> str:
    """The message as each push service wants it (SNS MessageStructure=json)."""
    apns = {"aps": {"alert": {"title": message.subject, "body": message.text}, "sound": "default"}}
    fcm = {"notification": {"title": message.subject, "body": message.text}}
    document = {
        "default": message.text,
        "APNS": json.dumps(apns),
        "APNS_SANDBOX": json.dumps(apns),
        "GCM": json.dumps(fcm),
    }
    return json.dumps(document)
