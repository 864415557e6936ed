"""The consent ledger: every change kept, the current state on the profile (key shapes: keys)."""

from __future__ import annotations

from typing import Any

from cis.domain.consent import consent_key
from cis.repository import keys
from cis.repository.customers import WRITABLE, Page, VersionConflict, refusal
from cis.repository.items import from_attributes, to_attributes, to_value
from cis.repository.transactions import TransactionCancelled, transact

_INTERNAL = {"PK", "SK", "entity", "change_id"}


class ConsentRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def record(self, customer_id: str, state: dict, entry: dict, change_id: str) -> bool:
        """Keep the change, show it on the timeline and make it current unless a later capture is
        current already; all in one transaction. True when it became the current state."""
        channel, purpose = state["channel"], state["purpose"]
        history = keys.consent_history_key(customer_id, channel, purpose, change_id)
        history |= to_attributes(state | {"entity": "consent"})
        timeline = keys.entry_keys(customer_id, entry["id"], entry["type"])
        timeline |= to_attributes(entry | {"entity": "interaction"})
        common = [
            ("history", {"Put": {"TableName": self.table, "Item": history}}),
            ("timeline", {"Put": {"TableName": self.table, "Item": timeline}}),
        ]
        profile = {"TableName": self.table, "Key": keys.customer_key(customer_id)}
        current = {
            "Update": profile
            | {
                "UpdateExpression": "SET #c.#k = :state",
                "ConditionExpression": (f"{WRITABLE} AND (attribute_not_exists(#c.#k) OR #c.#k.captured_at <= :at)"),
                "ExpressionAttributeNames": {"#c": "consents", "#k": consent_key(channel, purpose)},
                "ExpressionAttributeValues": {":state": to_value(state), ":at": {"S": state["captured_at"]}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        try:
            transact(self.client, [*common, ("profile", current)])
            return True
        except TransactionCancelled as cancelled:
            self._explain(cancelled, customer_id)
        # A later capture is current: keep this one in the ledger and on the timeline only.
        exists = {"ConditionCheck": profile | {"ConditionExpression": WRITABLE}}
        try:
            transact(self.client, [*common, ("profile", exists)])
        except TransactionCancelled as cancelled:
            self._explain(cancelled, customer_id)
            raise VersionConflict from cancelled
        return False

    def _explain(self, cancelled: TransactionCancelled, customer_id: str) -> None:
        """Return when the profile is there and only a later current consent blocked the update."""
        if cancelled.lost_race:
            raise VersionConflict from cancelled
        refused = cancelled.failed("profile")
        if refused is None:
            raise cancelled
        problem = refusal(self.client, self.table, customer_id, refused.item)
        if problem:
            raise problem from cancelled

    def history(self, customer_id: str, channel: str, purpose: str, limit: int, cursor: str | None) -> Page:
        """Every change for one channel and purpose, newest first."""
        pk, prefix = keys.consent_prefix(customer_id, channel, purpose)
        request = keys.prefix_request(self.table, pk, prefix)
        items, next_cursor = keys.newest_first(self.client, request, limit, cursor, {"PK": pk, "SK": prefix})
        return Page(
            [{k: v for k, v in from_attributes(item).items() if k not in _INTERNAL} for item in items], next_cursor
        )
