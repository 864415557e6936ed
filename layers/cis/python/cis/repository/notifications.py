"""Notification claims: a conditional write before sending, so one reminder goes out once (keys: keys).

A claim is `claimed` (with a lease) while its message is being sent, then `sent` or `skipped`
together with the timeline entry that tells staff about it. A failed send deletes the claim,
so the retry may claim it again; a claim whose sender died is taken over once its lease ends.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from cis.domain.moments import timestamp
from cis.domain.retention import entry_expiry
from cis.repository import keys
from cis.repository.customers import error_code
from cis.repository.items import from_attributes, to_attributes, to_value

LEASE = timedelta(minutes=5)
KEEP_CLAIMS = timedelta(days=400)  # past any day (renewal, check-in) a message could still be retried for
Key = tuple[str | int, ...]  # what makes a message the same message (RenewalDue.key, CheckInDue.key)


class Claim(StrEnum):
    MINE = "mine"  # go ahead and send
    DONE = "done"  # sent or skipped already: nothing to do
    BUSY = "busy"  # another sender holds it right now: try again later


class NotificationRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def claim(self, key: Key, token: str, now: datetime, anchor: date) -> Claim:
        """Claim a message before sending it; the claim is kept until well past `anchor`."""
        expires = datetime.combine(anchor, datetime.min.time()) + KEEP_CLAIMS
        item = keys.notification_key(*key) | to_attributes(
            {
                "entity": "notification_claim",
                "status": "claimed",
                "token": token,
                "lease_until": timestamp(now + LEASE),
                "expires_at": int(expires.timestamp()),
            }
        )
        try:
            self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(PK) OR (#status = :claimed AND lease_until < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":claimed": {"S": "claimed"}, ":now": {"S": timestamp(now)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return Claim.MINE
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            held = from_attributes(error.response.get("Item") or self._get(key) or {})
            return Claim.BUSY if held.get("status") == "claimed" else Claim.DONE

    def _get(self, key: Key) -> dict | None:
        return self.client.get_item(TableName=self.table, Key=keys.notification_key(*key), ConsistentRead=True).get(
            "Item"
        )

    def release(self, key: Key, token: str) -> None:
        """Give the claim up after a failed send: the retry may send."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=keys.notification_key(*key),
                ConditionExpression="#status = :claimed AND #token = :token",
                ExpressionAttributeNames={"#status": "status", "#token": "token"},
                ExpressionAttributeValues={":claimed": {"S": "claimed"}, ":token": {"S": token}},
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise  # not ours any more: its lease ran out and another sender took it

    def complete(self, key: Key, token: str, outcome: dict, entry: dict) -> None:
        """Mark the claim sent or skipped and put the timeline entry, together."""
        names = {"#status": "status", "#token": "token"}
        values = {":claimed": {"S": "claimed"}, ":token": {"S": token}}
        sets = []
        for number, (name, value) in enumerate(outcome.items()):
            names[f"#o{number}"], values[f":o{number}"] = name, to_value(value)
            sets.append(f"#o{number} = :o{number}")
        timeline = keys.entry_keys(entry["customer_id"], entry["id"], entry["type"])
        until = entry_expiry(entry["type"], datetime.fromisoformat(entry["occurred_at"]))
        kept = {"expires_at": until} if until else {}
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": keys.notification_key(*key),
                        "UpdateExpression": "SET " + ", ".join(sets) + " REMOVE lease_until",
                        "ConditionExpression": "#status = :claimed AND #token = :token",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": timeline | to_attributes(entry | {"entity": "interaction"} | kept),
                    }
                },
            ]
        )
