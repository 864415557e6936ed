"""Codes sent to a contact a customer is adding (keys.verification_key): the digests, the attempts left,
and when it lapses (the table's TTL removes it later; the check does not wait for that)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from cis.repository import keys
from cis.repository.items import from_attributes, to_attributes


class VerificationRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def put(self, customer_id: str, kind: str, contact: str, code: str, expires: datetime) -> None:
        """A new code replaces any pending one for the same kind: the last one sent is the one that counts."""
        values = {"entity": "contact_check", "contact": contact, "code": code, "attempts": 0}
        values |= {"expires_at": int(expires.timestamp())}
        item = keys.verification_key(customer_id, kind) | to_attributes(values)
        self.client.put_item(TableName=self.table, Item=item)

    def get(self, customer_id: str, kind: str) -> dict | None:
        key = keys.verification_key(customer_id, kind)
        item = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return from_attributes(item) if item else None

    def failed_attempt(self, customer_id: str, kind: str, limit: int) -> bool:
        """Count a wrong code; False once the limit is spent (the code is then dropped)."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=keys.verification_key(customer_id, kind),
                UpdateExpression="SET attempts = attempts + :one",
                ConditionExpression="attempts < :last",
                ExpressionAttributeValues={":one": {"N": "1"}, ":last": {"N": str(limit - 1)}},
            )
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            self.drop(customer_id, kind)
            return False

    def drop(self, customer_id: str, kind: str) -> None:
        self.client.delete_item(TableName=self.table, Key=keys.verification_key(customer_id, kind))
