"""The consent ledger: every change kept, the current state on the profile (key shapes: keys)."""

from __future__ import annotations

from typing import Any

from cis.domain.consent import consent_key
from cis.repository import keys
from cis.repository.customers import WRITABLE, Page, VersionConflict, profile_item, refusal
from cis.repository.items import from_attributes, to_attributes, to_value
from cis.repository.transactions import TransactionCancelled, transact

_INTERNAL = {"PK", "SK", "entity", "change_id"}


class CustomerRefused(Exception):
    """A guarded grant met the customer's refusal in force (its plain values)."""

    def __init__(self, in_force: dict):
        super().__init__("the customer refused")
        self.in_force = in_force


class ConsentRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def record(
        self, customer_id: str, state: dict, entry: dict, change_id: str, guarded: bool = False
    ) -> tuple[bool, dict | None]:
        """Keep the change, show it on the timeline and make it current unless a later capture is
        current already; all in one transaction. Whether it became the current state, and if not the
        state in force. `guarded`: on condition the state in force is not the customer's refusal (else
        CustomerRefused, with it)."""
        channel, purpose = state["channel"], state["purpose"]
        history = keys.consent_history_key(customer_id, channel, purpose, change_id)
        history |= to_attributes(state | {"entity": "consent"})
        timeline = keys.entry_keys(customer_id, entry["id"], entry["type"])
        timeline |= to_attributes(entry | {"entity": "interaction"})
        common = [
            ("history", {"Put": {"TableName": self.table, "Item": history}}),
            ("timeline", {"Put": {"TableName": self.table, "Item": timeline}}),
        ]
        names = {"#c": "consents", "#k": consent_key(channel, purpose)}
        guard, guard_values = "", {}
        if guarded:
            names["#s"] = "status"
            guard = " AND (attribute_not_exists(#c.#k) OR NOT #c.#k.#s IN (:withdrawn, :denied))"
            guard_values = {":withdrawn": {"S": "withdrawn"}, ":denied": {"S": "denied"}}
        profile = {"TableName": self.table, "Key": keys.customer_key(customer_id)}
        current = {
            "Update": profile
            | {
                "UpdateExpression": "SET #c.#k = :state",
                "ConditionExpression": (
                    f"{WRITABLE} AND (attribute_not_exists(#c.#k) OR #c.#k.captured_at <= :at){guard}"
                ),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {":state": to_value(state), ":at": {"S": state["captured_at"]}}
                | guard_values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        try:
            transact(self.client, [*common, ("profile", current)])
            return True, None
        except TransactionCancelled as cancelled:
            in_force = self._explain(cancelled, customer_id, channel, purpose, guarded)
        # A later capture is current: keep this one in the ledger and on the timeline only.
        check = {"ConditionExpression": WRITABLE + guard, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        if guarded:
            check |= {"ExpressionAttributeNames": names, "ExpressionAttributeValues": guard_values}
        try:
            transact(self.client, [*common, ("profile", {"ConditionCheck": profile | check})])
        except TransactionCancelled as cancelled:
            self._explain(cancelled, customer_id, channel, purpose, guarded)
            raise VersionConflict from cancelled
        return False, in_force

    def _explain(
        self, cancelled: TransactionCancelled, customer_id: str, channel: str, purpose: str, guarded: bool
    ) -> dict | None:
        """Raise why the profile refused: the customer takes no writes, or (guarded) the state in force is
        their refusal. Return the state in force when only a later capture being current blocked the update."""
        if cancelled.lost_race:
            raise VersionConflict from cancelled
        refused = cancelled.failed("profile")
        if refused is None:
            raise cancelled
        stored = refused.item or profile_item(self.client, self.table, customer_id)
        problem = refusal(self.client, self.table, customer_id, stored)
        if problem:
            raise problem from cancelled
        in_force = from_attributes(stored).get("consents", {}).get(consent_key(channel, purpose))
        if guarded and in_force and in_force["status"] in ("withdrawn", "denied"):
            raise CustomerRefused(in_force) from cancelled
        return in_force

    def history(self, customer_id: str, channel: str, purpose: str, limit: int, cursor: str | None) -> Page:
        """Every change for one channel and purpose, newest first."""
        pk, prefix = keys.consent_prefix(customer_id, channel, purpose)
        request = keys.prefix_request(self.table, pk, prefix)
        items, next_cursor = keys.newest_first(self.client, request, limit, cursor, {"PK": pk, "SK": prefix})
        return Page(
            [{k: v for k, v in from_attributes(item).items() if k not in _INTERNAL} for item in items], next_cursor
        )
