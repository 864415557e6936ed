"""The archived customers due for erasure on a day: the profiles' GSI2 under ERASE#<day> (keys)."""

from __future__ import annotations

from typing import Any

from cis.repository import keys


class ErasuresDue:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def page(self, day: str, start: dict | None, limit: int) -> tuple[list[str], dict | None]:
        """Customer ids due on `day`, and where the next page starts (plain strings, for a continuation)."""
        request = {
            "TableName": self.table,
            "IndexName": keys.TIMELINE_TYPE_INDEX,
            "KeyConditionExpression": "GSI2PK = :day",
            "ExpressionAttributeValues": {":day": {"S": keys.erase_due_partition(day)}},
            "ProjectionExpression": "GSI2SK",
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = {name: {"S": value} for name, value in start.items()}
        response = self.client.query(**request)
        last = response.get("LastEvaluatedKey")
        ids = [item["GSI2SK"]["S"] for item in response.get("Items", [])]
        return ids, {name: value["S"] for name, value in last.items()} if last else None
