"""Churn watches and the churn risk kept on the profile (key shapes: cis.repository.keys).

Two watches per customer at most: IDLE (the day the quiet spell crosses its next threshold; every
activity write moves it) and RESCORE (the next run, after another churn signal changed). The daily
job reads the day's watch partitions, and only those, then moves or removes what it read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from cis.domain.risk import ChurnRisk
from cis.repository import keys
from cis.repository.batches import batch_get
from cis.repository.customers import error_code, profile_item
from cis.repository.items import from_attributes, to_attributes, to_value


def idle_watch_item(customer_id: str, day: date, threshold: int, last_activity: date) -> dict[str, dict]:
    values = {
        "entity": "churn_watch",
        "kind": "IDLE",
        "customer_id": customer_id,
        "watch_on": day.isoformat(),
        "threshold_days": threshold,
        "last_activity": last_activity.isoformat(),
    }
    return keys.watch_keys(customer_id, "IDLE", day.isoformat()) | to_attributes(values)


def rescore_item(customer_id: str, day: date) -> dict[str, dict]:
    values = {"entity": "churn_watch", "kind": "RESCORE", "customer_id": customer_id, "watch_on": day.isoformat()}
    return keys.watch_keys(customer_id, "RESCORE", day.isoformat()) | to_attributes(values)


class ChurnRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def page(self, day: str, cursor: dict | None, limit: int) -> tuple[list[dict], dict | None]:
        """A page of the watches due on `day` from `cursor` (None: the start; else one this returned), and
        the cursor of the next (None: the day is done). Each page reads one shard, and never ends between
        one customer's two watches."""
        shard, start = keys.shard_position(cursor)
        items, last = keys.day_page(self.client, self.table, keys.watch_partition(day, shard), start, limit)
        if last is not None and len(items) > 1 and items[-1]["GSI1SK"]["S"].endswith("#IDLE"):
            # <id>#IDLE sorts just before <id>#RESCORE: the next page starts with this customer instead.
            items = items[:-1]
            last = {name: items[-1][name]["S"] for name in ("PK", "SK", "GSI1PK", "GSI1SK")}
        return [from_attributes(item) for item in items], keys.next_position(shard, last, keys.WATCH_SHARDS)

    def profiles(self, customer_ids: list[str]) -> dict[str, dict]:
        """The stored profiles (plain values) by customer id: consistent reads, 100 per request."""
        items = batch_get(self.client, self.table, [keys.customer_key(id_) for id_ in customer_ids])
        return {item["PK"]["S"].removeprefix("CUST#"): from_attributes(item) for item in items}

    def profile(self, customer_id: str) -> dict | None:
        """The stored profile (plain values), read consistently."""
        item = profile_item(self.client, self.table, customer_id)
        return from_attributes(item) if item else None

    def mark_rescore(self, customer_id: str, day: date) -> None:
        """Look at this customer again on `day` (a repeat of the same mark changes nothing)."""
        self.client.put_item(TableName=self.table, Item=rescore_item(customer_id, day))

    def save(self, customer_id: str, risk: ChurnRisk, last_activity: str | None) -> bool:
        """Store the assessment and the customer's place in the churn list, if the activity it was
        made from is still the latest and the customer still takes writes. False: read again."""
        names = {"#risk": "churn_risk", "#e": "engagement", "#last": "last_activity_at", "#status": "status"}
        values = {":risk": to_value(risk.model_dump(mode="json", exclude_none=True)), ":active": {"S": "active"}}
        condition = "attribute_exists(PK) AND attribute_not_exists(merged_into) AND #status = :active AND "
        if last_activity is None:
            condition += "attribute_not_exists(#e.#last)"
        else:
            condition += "#e.#last = :last"
            values[":last"] = {"S": last_activity}
        if risk.level == "low":
            update = "SET #risk = :risk REMOVE GSI2PK, GSI2SK"
        else:
            listing = keys.churn_listing(risk.level, risk.score, customer_id)
            update = "SET #risk = :risk, GSI2PK = :list, GSI2SK = :rank"
            values |= {":list": listing["GSI2PK"], ":rank": listing["GSI2SK"]}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=keys.customer_key(customer_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return False

    def move_idle(self, customer_id: str, read_on: str, to: tuple[date, int] | None, last_activity: date) -> None:
        """Move the idle watch read on `read_on` to its next crossing, or remove it (none left).
        If an activity moved it meanwhile, that one stands."""
        condition = {
            "ConditionExpression": "watch_on = :read",
            "ExpressionAttributeValues": {":read": {"S": read_on}},
        }
        try:
            if to is None:
                self.client.delete_item(TableName=self.table, Key=keys.watch_key(customer_id, "IDLE"), **condition)
            else:
                item = idle_watch_item(customer_id, to[0], to[1], last_activity)
                self.client.put_item(TableName=self.table, Item=item, **condition)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    def clear(self, customer_id: str, kind: str, read_on: str) -> None:
        """Remove a watch the job has handled, unless it was set to another day meanwhile."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=keys.watch_key(customer_id, kind),
                ConditionExpression="watch_on = :read",
                ExpressionAttributeValues={":read": {"S": read_on}},
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
