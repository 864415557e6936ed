"""Customer app sign-ins and the customer records they are linked to (keys: login_key, login_copy_key).

The link is the server's own record, written once when the sign-in is confirmed: a customer route
never takes a customer id from the request or a token's attributes, only from here. The copy in the
customer's partition is what export shows and erasure removes (with the link itself)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cis.repository import keys
from cis.repository.customers import WRITABLE
from cis.repository.transactions import TransactionCancelled, transact


class LoginRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def customer_of(self, subject: str) -> str | None:
        """The customer id a sign-in is linked to, or None (never linked, or erased since)."""
        item = self.client.get_item(TableName=self.table, Key=keys.login_key(subject)).get("Item")
        return item["customer_id"]["S"] if item else None

    def link(self, subject: str, customer_id: str, via: str, now: datetime) -> bool:
        """Link a sign-in to a customer that can take writes; False when the sign-in was linked already
        (a repeated trigger) or the customer cannot be written (archived, merged away, gone)."""
        stamp = {"linked_at": {"S": now.isoformat()}, "linked_via": {"S": via}}
        link = keys.login_key(subject) | {"entity": {"S": "login"}, "customer_id": {"S": customer_id}} | stamp
        copy = keys.login_copy_key(customer_id, subject) | {"entity": {"S": "login"}, "subject": {"S": subject}} | stamp
        actions = [
            (
                "link",
                {"Put": {"TableName": self.table, "Item": link, "ConditionExpression": "attribute_not_exists(PK)"}},
            ),
            ("copy", {"Put": {"TableName": self.table, "Item": copy}}),
            (
                "profile",
                {
                    "ConditionCheck": {
                        "TableName": self.table,
                        "Key": keys.customer_key(customer_id),
                        "ConditionExpression": WRITABLE,
                    }
                },
            ),
        ]
        try:
            transact(self.client, actions)
        except TransactionCancelled as cancelled:
            if cancelled.failed("link") or cancelled.failed("profile"):
                return False
            raise
        return True
