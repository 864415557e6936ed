"""Push devices: the profile's `devices` map (what the notifier sends to) and the claim item that says
which customer an install belongs to now (keys.device_claim_key), written together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from cis.errors import Conflict, FieldProblem, NotFound
from cis.repository import keys
from cis.repository.customers import WRITABLE, VersionConflict, error_code, stale
from cis.repository.items import from_attributes, to_attributes
from cis.repository.transactions import Action, TransactionCancelled, transact


class DeviceRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def claim(self, device_id: str) -> dict | None:
        """Who the install belongs to now (customer_id, endpoint), if anyone."""
        item = self.client.get_item(TableName=self.table, Key=keys.device_claim_key(device_id), ConsistentRead=True)
        return from_attributes(item["Item"]) if "Item" in item else None

    def register(
        self, customer_id: str, device_id: str, device: dict, has_map: bool, claimed: dict | None, limit: int
    ) -> None:
        """The device on the customer's profile and its claim, taken from whoever `claimed` it (as read)."""
        names = {"#d": "devices", "#id": device_id}
        values = {":device": to_attributes({"d": device})["d"]}
        if has_map:
            update = "SET #d.#id = :device"
            condition = f"{WRITABLE} AND attribute_exists(#d) AND (size(#d) < :limit OR attribute_exists(#d.#id))"
            values[":limit"] = {"N": str(limit)}
        else:  # a profile from before devices: the map starts with this one
            update, condition = "SET #d = :map", f"{WRITABLE} AND attribute_not_exists(#d)"
            values = {":map": {"M": {device_id: values[":device"]}}}
        profile = {
            "TableName": self.table,
            "Key": keys.customer_key(customer_id),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names if has_map else {"#d": "devices"},
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        claim = keys.device_claim_key(device_id) | to_attributes(
            {"entity": "device", "customer_id": customer_id, "endpoint": device["endpoint"]}
        )
        put = {"TableName": self.table, "Item": claim}
        if claimed is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put |= {
                "ConditionExpression": "customer_id = :owner",
                "ExpressionAttributeValues": {":owner": {"S": claimed["customer_id"]}},
            }
        actions: list[Action] = [("profile", {"Update": profile}), ("claim", {"Put": put})]
        if claimed is not None and claimed["customer_id"] != customer_id:  # off the previous owner's profile
            previous = {
                "TableName": self.table,
                "Key": keys.customer_key(claimed["customer_id"]),
                "UpdateExpression": "REMOVE #d.#id",
                "ConditionExpression": "attribute_exists(#d.#id)",
                "ExpressionAttributeNames": {"#d": "devices", "#id": device_id},
            }
            actions.append(("previous", {"Update": previous}))
        try:
            transact(self.client, actions)
        except TransactionCancelled as cancelled:
            if cancelled.throttled:
                raise
            if refused := cancelled.failed("profile"):
                stored = from_attributes(refused.item) if refused.item else None
                devices = (stored or {}).get("devices")
                if stored and _writable(stored) and devices is not None and has_map and len(devices) >= limit:
                    raise too_many(limit) from cancelled
                if stored is None or not _writable(stored):
                    raise stale(self.client, self.table, customer_id) from cancelled
            raise VersionConflict from cancelled  # the map or the claim moved since read: read again

    def remove(self, customer_id: str, device_id: str) -> str:
        """The device off the profile and its claim released; its endpoint, to delete."""
        profile = {
            "TableName": self.table,
            "Key": keys.customer_key(customer_id),
            "UpdateExpression": "REMOVE #d.#id",
            "ConditionExpression": "attribute_exists(#d.#id)",
            "ExpressionAttributeNames": {"#d": "devices", "#id": device_id},
        }
        claim = {
            "TableName": self.table,
            "Key": keys.device_claim_key(device_id),
            "ConditionExpression": "customer_id = :me",
            "ExpressionAttributeValues": {":me": {"S": customer_id}},
        }
        endpoint = self.claim(device_id)
        try:
            transact(self.client, [("profile", {"Update": profile}), ("claim", {"Delete": claim})])
        except TransactionCancelled as cancelled:
            if cancelled.throttled:
                raise
            if cancelled.lost_race:
                raise VersionConflict from cancelled
            raise NotFound("you have no device with this id") from cancelled
        return (endpoint or {}).get("endpoint", "")

    def release(self, device_ids: list[str], customer_ids: set[str], delete_endpoint: Callable[[str], None]) -> int:
        """Claims the erased customers still hold (erasure): each endpoint deleted, then its claim, unless
        another customer took the install since (then both are theirs). The endpoint goes first: a retry
        after a failure still finds the claim, and with it the endpoint."""
        released = 0
        for device_id in device_ids:
            claimed = self.claim(device_id)
            if not claimed or claimed["customer_id"] not in customer_ids:
                continue
            delete_endpoint(claimed.get("endpoint", ""))
            try:
                self.client.delete_item(
                    TableName=self.table,
                    Key=keys.device_claim_key(device_id),
                    ConditionExpression="customer_id = :owner",
                    ExpressionAttributeValues={":owner": {"S": claimed["customer_id"]}},
                )
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
                continue  # signed in as someone else on that phone meanwhile: the new claim stays
            released += 1
        return released


def _writable(profile: dict) -> bool:
    """What WRITABLE asks of a stored profile."""
    return not {"merge_lock", "merged_into", "archived_at"} & profile.keys()


def too_many(limit: int) -> Conflict:
    return Conflict(
        f"at most {limit} devices receive notifications: remove one you no longer use (DELETE /v1/me/devices/{{id}})",
        [FieldProblem("token", "too many devices")],
        code="too_many_devices",
    )
