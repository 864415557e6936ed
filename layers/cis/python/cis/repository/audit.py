"""The audit trail: who changed what, when, from which value to which (key shapes: keys)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from cis.domain.events import DomainEvent
from cis.domain.moments import timestamp
from cis.domain.retention import expiry
from cis.repository import keys
from cis.repository.batches import batch_write, query_all
from cis.repository.customers import Page, error_code
from cis.repository.items import from_attributes, to_attributes

_INTERNAL = {"PK", "SK", "entity"}


class AuditRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def entry(self, event: DomainEvent) -> dict:
        """The entry of a committed change, keyed by the change (its time and stream event id): written
        again for a replayed stream record, it overwrites itself with the same item."""
        at = timestamp(datetime.fromisoformat(event.occurred_at))  # one format, so entries sort by time
        kept = expiry("audit_days", datetime.fromisoformat(event.occurred_at))
        item = keys.audit_key(event.customer_id, at, event.event_id) | to_attributes(
            {
                "expires_at": kept,
                "entity": "audit",
                "change_id": event.event_id,
                "event": event.kind,
                "actor": event.actor,
                "at": at,
                "source": event.source,
                "changes": [{"field": name} | values for name, values in sorted(event.audit.items())],
            }
        )
        return item

    def write(self, event: DomainEvent) -> None:
        """One entry per committed change; a replayed stream record finds its entry there already."""
        try:
            self.client.put_item(
                TableName=self.table, Item=self.entry(event), ConditionExpression="attribute_not_exists(SK)"
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    def write_together(self, requests: list[dict], landed: Callable[[int], None] | None = None) -> None:
        """A stream batch's writes (audit entries, pair items) together: BatchWriteItem, 25 a request, in
        order; `landed` is told how many are written so far (see batches.batch_write)."""
        batch_write(self.client, self.table, requests, landed)

    def history(self, customer_id: str, limit: int, cursor: str | None) -> Page:
        request = keys.audit_trail(self.table, customer_id)
        expected = {"PK": keys.audit_partition(customer_id), "SK": None}  # a cursor of this customer's trail only
        items, next_cursor = keys.newest_first(self.client, request, limit, cursor, expected)
        return Page(
            [{k: v for k, v in from_attributes(item).items() if k not in _INTERNAL} for item in items], next_cursor
        )

    def scrub(self, customer_id: str) -> int:
        """Every entry of an erased customer keeps who changed which field when, and loses the values."""
        from cis.domain.erasure import scrubbed_changes

        requests = []
        for item in query_all(self.client, keys.audit_trail(self.table, customer_id) | {"ConsistentRead": True}):
            changes = from_attributes(item).get("changes") or []
            scrubbed = scrubbed_changes(changes)
            if scrubbed != changes:
                requests.append({"PutRequest": {"Item": item | to_attributes({"changes": scrubbed})}})
        batch_write(self.client, self.table, requests)
        return len(requests)
