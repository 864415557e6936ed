"""Uploaded imports in the table: one item for the import's state and running counts, and one per
part holding that part's counts and report rows. A part is counted once: its item is written on
condition that it does not exist yet, in the same transaction that adds its counts to the import's."""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from cis.repository import keys
from cis.repository.items import from_attributes, to_attributes, to_value
from cis.repository.transactions import TransactionCancelled, transact
from cis.topology import TABLE

KEEP_DAYS = 30  # as the import ledger: the state and report of an import, then they expire
COUNTS = ("rows", "created", "merged", "duplicates", "invalid", "already_imported", "for_review", "not_imported")


def _expiry(now: float) -> int:
    return int(now) + KEEP_DAYS * 86400


class ImportFileRepository:
    def __init__(self, client: Any, table_name: str):
        self.client, self.table = client, table_name

    def create(self, values: dict) -> None:
        item = keys.import_file_key(values["import_id"]) | to_attributes(
            {"entity": "import_file", TABLE.ttl_attribute: _expiry(time.time())}
            | values
            | {"parts_done": 0, **dict.fromkeys(COUNTS, 0)}
        )
        self.client.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(PK)")

    def get(self, import_id: str) -> dict | None:
        item = self.client.get_item(TableName=self.table, Key=keys.import_file_key(import_id)).get("Item")
        return from_attributes(item) if item else None

    def begin_split(self, import_id: str) -> dict | None:
        """The import, now being cut; None when it is not waiting for its file (cut already, or unknown)."""
        try:
            answer = self.client.update_item(
                TableName=self.table,
                Key=keys.import_file_key(import_id),
                UpdateExpression="SET #status = :splitting",
                ConditionExpression="#status IN (:waiting, :splitting)",  # a repeated notification cuts again
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":splitting": to_value("splitting"),
                    ":waiting": to_value("awaiting_upload"),
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return from_attributes(answer["Attributes"])

    def split(self, import_id: str, source_id: str, size: int, parts: int, now: str) -> None:
        """The file is cut: its parts are on their way (or, with none, the import is done)."""
        values = {":source": source_id, ":bytes": size, ":parts": parts, ":now": now}
        values[":status"] = "importing" if parts else "done"
        self.client.update_item(
            TableName=self.table,
            Key=keys.import_file_key(import_id),
            UpdateExpression="SET #status = :status, source_id = :source, #bytes = :bytes, parts_total = :parts, "
            "updated_at = :now" + ("" if parts else ", finished_at = :now"),
            ExpressionAttributeNames={"#status": "status", "#bytes": "bytes"},
            ExpressionAttributeValues={name: to_value(value) for name, value in values.items()},
        )

    def fail(self, import_id: str, problem: str, now: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=keys.import_file_key(import_id),
            UpdateExpression="SET #status = :failed, problem = :problem, finished_at = :now, updated_at = :now",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":failed": to_value("failed"),
                ":problem": to_value(problem),
                ":now": to_value(now),
            },
        )

    def record_part(self, import_id: str, part: int, counts: dict[str, int], report: list[dict], now: str) -> bool:
        """A part's outcome, and its counts added to the import's; False if it was recorded before."""
        values = {"entity": "import_part", "part": part, TABLE.ttl_attribute: _expiry(time.time())}
        # The report as one JSON text: a part's rows are read together, never one by one.
        values |= {"counts": counts, "report": json.dumps(report, separators=(",", ":"))}
        names = {f"#{name}": name for name in COUNTS}
        adds = ", ".join(f"#{name} :{name}" for name in COUNTS)
        put = {
            "Put": {
                "TableName": self.table,
                "Item": keys.import_part_key(import_id, part) | to_attributes(values),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        add = {
            "Update": {
                "TableName": self.table,
                "Key": keys.import_file_key(import_id),
                "UpdateExpression": f"ADD parts_done :one, {adds} SET updated_at = :now",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {f":{name}": to_value(counts.get(name, 0)) for name in COUNTS}
                | {":one": to_value(1), ":now": to_value(now)},
                "ConditionExpression": "attribute_exists(PK)",
            }
        }
        try:
            transact(self.client, [("part", put), ("import", add)])
        except TransactionCancelled as cancelled:
            if cancelled.failed("part"):
                return False
            raise
        return True

    def report(self, import_id: str, part: int, skip: int, limit: int) -> tuple[list[dict], tuple[int, int] | None]:
        """Up to `limit` report rows from the `skip`th row of part `part` on, and where the next page starts."""
        rows: list[dict] = []
        request = keys.import_parts_from(self.table, import_id, part) | {"Limit": 20}
        while True:
            answer = self.client.query(**request)
            for item in answer.get("Items", []):
                values = from_attributes(item)
                found = json.loads(values["report"])
                start = skip if values["part"] == part else 0
                room = limit - len(rows)
                rows += found[start : start + room]
                if len(found) - start > room:  # the page is full inside this part
                    return rows, (values["part"], start + room)
                if len(rows) == limit:  # full at this part's end: the next page starts at the next part
                    return rows, (values["part"] + 1, 0)
            if "LastEvaluatedKey" not in answer:
                return rows, None
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
