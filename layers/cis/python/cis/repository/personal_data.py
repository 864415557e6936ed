"""Everything the table holds about one customer, read whole: what export and erasure start from.
The kinds of a customer's partition are keys.PARTITION_KINDS; the audit trail has its own partition."""

from __future__ import annotations

from typing import Any

from cis.repository import keys
from cis.repository.batches import query_all
from cis.repository.customers import profile_item
from cis.repository.items import from_attributes

_TABLE_OWN = {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"}


class PersonalData:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def profile(self, customer_id: str) -> dict | None:
        """The stored profile (plain values), whatever its state."""
        item = profile_item(self.client, self.table, customer_id)
        return from_attributes(item) if item else None

    def partition(self, customer_id: str) -> list[dict]:
        """Every item in the customer's partition, read consistently, oldest sort key first."""
        request = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.customer_pk(customer_id)}},
            "ConsistentRead": True,
        }
        return query_all(self.client, request)

    def sections(self, customer_id: str) -> dict[str, list[dict]]:
        """The partition's items (plain values, without the table's keys) by kind (keys.PARTITION_KINDS),
        each in sort-key order. An item of an undeclared kind is an error, never left out unnoticed."""
        found: dict[str, list[dict]] = {kind: [] for kind in keys.PARTITION_KINDS.values()}
        for item in self.partition(customer_id):
            kind = keys.partition_kind(item["SK"]["S"])
            if kind is None:
                raise RuntimeError(f"an item of an undeclared kind ({item['SK']['S'].split('#')[0]}#) in the partition")
            found[kind].append({name: value for name, value in from_attributes(item).items() if name not in _TABLE_OWN})
        return found

    def audit(self, customer_id: str) -> list[dict]:
        """Every audit entry of the customer (plain values), newest first."""
        request = keys.audit_trail(self.table, customer_id) | {"ScanIndexForward": False}
        return [
            {name: value for name, value in from_attributes(item).items() if name not in _TABLE_OWN}
            for item in query_all(self.client, request)
        ]
