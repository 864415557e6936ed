"""The KMS HMAC key that signs unsubscribe links: an adapter beside the repositories.

The key (key spec HMAC_256) never leaves KMS: the notifier asks it for a MAC (kms:GenerateMac), the
unsubscribe function asks it to check one (kms:VerifyMac), and no function holds a secret."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

ALGORITHM = "HMAC_SHA_256"


class LinkKey:
    def __init__(self, client: Any, key_id: str):
        self.client, self.key_id = client, key_id  # a KMS client; the key's id, ARN or alias

    def sign(self, message: bytes) -> bytes:
        return self.client.generate_mac(KeyId=self.key_id, Message=message, MacAlgorithm=ALGORITHM)["Mac"]

    def verify(self, message: bytes, mac: bytes) -> bool:
        try:
            return self.client.verify_mac(KeyId=self.key_id, Message=message, MacAlgorithm=ALGORITHM, Mac=mac)[
                "MacValid"
            ]
        except ClientError as error:
            if error.response["Error"]["Code"] in ("KMSInvalidMacException", "ValidationException"):
                return False  # changed, or not a MAC of this length at all
            raise
