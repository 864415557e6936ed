"""Subscriptions, the profile's copy of them and their reminders, written together (key shapes: keys)."""

from __future__ import annotations

from typing import Any

from cis.domain.model import STORED
from cis.domain.subscriptions import Reminder, Subscription, summary
from cis.errors import NotFound
from cis.repository import keys
from cis.repository.customers import WRITABLE, VersionConflict, absence, refusal
from cis.repository.items import from_attributes, to_attributes, to_value
from cis.repository.transactions import Action, TransactionCancelled, transact


def _reminder_item(subscription: Subscription, reminder: Reminder) -> dict[str, dict]:
    day = reminder.on.isoformat()
    values = {
        "entity": "reminder",
        "customer_id": subscription.customer_id,
        "subscription_id": subscription.id,
        "plan": subscription.plan,
        "renews_at": subscription.renews_at.isoformat(),
        "lead_days": reminder.lead_days,
        "remind_on": day,
    }
    return keys.reminder_keys(subscription.customer_id, subscription.id, reminder.lead_days, day) | to_attributes(
        values
    )


def subscription_item(subscription: Subscription) -> dict[str, dict]:
    values = subscription.model_dump(mode="json", exclude_none=True) | {"entity": "subscription"}
    return keys.subscription_key(subscription.customer_id, subscription.id) | to_attributes(values)


def reminder_items(subscription: Subscription) -> list[dict[str, dict]]:
    """One due-index item per reminder still to come."""
    return [_reminder_item(subscription, reminder) for reminder in subscription.reminders]


class SubscriptionRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def get(self, customer_id: str, subscription_id: str) -> Subscription:
        item = self.client.get_item(
            TableName=self.table, Key=keys.subscription_key(customer_id, subscription_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            # Say why: no such customer, merged away, or no such subscription of this one.
            raise absence(self.client, self.table, customer_id) or NotFound(
                f"customer {customer_id} has no subscription {subscription_id}"
            )
        return Subscription.model_validate(from_attributes(item), context=STORED)

    def save(self, subscription: Subscription, previous: Subscription | None) -> None:
        """The subscription, the profile's copy and the reminders still to come, in one transaction:
        the due index never names a reminder the subscription no longer has."""
        record = {"TableName": self.table}
        put = {"Put": record | {"Item": subscription_item(subscription)}}
        if previous is None:
            put["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put["Put"]["ConditionExpression"] = "#version = :previous"
            put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
            put["Put"]["ExpressionAttributeValues"] = {":previous": {"N": str(previous.version)}}
        profile = {
            "Update": record
            | {
                "Key": keys.customer_key(subscription.customer_id),
                "UpdateExpression": "SET #subs.#id = :subscription",
                "ConditionExpression": WRITABLE,
                "ExpressionAttributeNames": {"#subs": "subscriptions", "#id": subscription.id},
                "ExpressionAttributeValues": {":subscription": to_value(summary(subscription))},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        kept = {reminder.lead_days for reminder in subscription.reminders}
        actions: list[Action] = [("profile", profile), ("subscription", put)]
        actions += [("reminder", {"Put": record | {"Item": item}}) for item in reminder_items(subscription)]
        for reminder in previous.reminders if previous else []:
            if reminder.lead_days not in kept:
                key = keys.reminder_key(subscription.customer_id, subscription.id, reminder.lead_days)
                actions.append(("old reminder", {"Delete": record | {"Key": key}}))
        try:
            transact(self.client, actions)
        except TransactionCancelled as cancelled:
            if refused := cancelled.failed("profile"):
                problem = refusal(self.client, self.table, subscription.customer_id, refused.item)
                if problem:
                    raise problem from cancelled
            if cancelled.lost_race or cancelled.failed("subscription"):
                raise VersionConflict from cancelled  # another writer changed it since we read it
            raise
