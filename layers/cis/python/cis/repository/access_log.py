"""The access log's items (key shapes: keys). An API function puts a request item under ACCESS#<day>;
the stream processor copies it into AUDIT#ACCESS#<day>, which no API function's role may write (the
audit trail's Deny), so what an admin reads there cannot be changed by the functions it records."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from ulid import ULID

from cis.domain.access import KEEP_DAYS, AccessRecord
from cis.domain.moments import timestamp
from cis.repository import keys
from cis.repository.items import from_attributes, to_attributes
from cis.repository.keys import Page

TTL = "expires_at"  # the table's TTL attribute (cis.topology.TABLE), named here: the stream processor loads no topology

_REQUEST_DAYS = 2  # the request item is only the way in: the stream copies it within seconds


class AccessLog:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def record(self, actor: str, action: str, subject: str, count: int, now: datetime) -> None:
        request_id, day = str(ULID.from_datetime(now)), now.date().isoformat()
        values = {"entity": "access", "request_id": request_id, "at": timestamp(now), "actor": actor}
        values |= {"action": action, "subject": subject, "count": count}
        values[TTL] = int(time.time()) + _REQUEST_DAYS * 86400
        item = keys.access_request_key(day, request_id) | to_attributes(values)
        self.client.put_item(TableName=self.table, Item=item)

    @staticmethod
    def copy(request: dict) -> dict:
        """The log entry of a request item (plain values, from the stream): kept KEEP_DAYS."""
        day = request["at"][:10]
        values = {name: request[name] for name in ("request_id", "at", "actor", "action", "subject", "count")}
        values |= {"entity": "access_log", TTL: int(time.time()) + KEEP_DAYS * 86400}
        return keys.access_log_key(day, request["request_id"]) | to_attributes(values)

    def page(self, day: str, limit: int, cursor: str | None) -> Page:
        """A day's records, newest first."""
        pk = keys.access_log_partition(day)
        request = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
        }
        items, next_cursor = keys.newest_first(self.client, request, limit, cursor, {"PK": pk, "SK": None})
        return Page([AccessRecord.model_validate(from_attributes(item)) for item in items], next_cursor)
