"""Timeline entries and the engagement attributes they keep current (key shapes: cis.repository.keys)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from cis.domain.customer import Customer
from cis.domain.engagement import EngagementChange
from cis.domain.moments import timestamp
from cis.domain.retention import entry_expiry
from cis.errors import Conflict, FieldProblem
from cis.repository import keys
from cis.repository.batches import query_all
from cis.repository.churn import idle_watch_item
from cis.repository.customers import (
    WRITABLE,
    CustomerRepository,
    Page,
    VersionConflict,
    profile_item,
    stale,
    unavailable,
)
from cis.repository.items import from_attributes, to_attributes
from cis.repository.transactions import Action, TransactionCancelled, transact

_INTERNAL = {"PK", "SK", "GSI2PK", "GSI2SK", "entity"}


class NoThread(Exception):
    """The message's ticket refused it: `ticket` is the stored entry (not a ticket, or its thread is
    full), or None when there is no such entry."""

    def __init__(self, ticket: dict | None):
        super().__init__("no room for the message on this ticket")
        self.ticket = ticket


class Backdated(Exception):
    """The entry is older than a timestamp it would advance: apply it with exact max/min instead."""

    def __init__(self, engagement: dict):
        self.engagement = engagement


def _engagement_update(change: EngagementChange, at: str, current: dict | None) -> tuple[str, str, dict, dict]:
    """(update, condition, names, values) for the profile: counters add up, timestamps move forward.

    Without `current`, timestamps are set to `at` on condition that none moves back (one request);
    with the stored engagement (`current`), they get their exact max/min, on condition that the
    stored values are still the ones read.
    """
    # Only what the expressions use: DynamoDB rejects unused names and values (moto does not).
    names, values = {"#e": "engagement"}, {}
    sets, conditions = [], [WRITABLE]
    for index, (path, amount) in enumerate(change.increments.items()):
        values[":zero"] = {"N": "0"}
        parts = path.split(".")
        names |= {f"#i{index}_{depth}": part for depth, part in enumerate(parts)}
        ref = "#e." + ".".join(f"#i{index}_{depth}" for depth in range(len(parts)))
        sets.append(f"{ref} = if_not_exists({ref}, :zero) + :i{index}")
        values[f":i{index}"] = {"N": str(amount)}
    for index, (name, value) in enumerate(change.sets.items()):
        names[f"#s{index}"] = name
        sets.append(f"#e.#s{index} = :s{index}")
        values[f":s{index}"] = {"N": str(value)}
    removes = _interests_update(change, at, current, names, values, sets, conditions)
    moments = [(name, max) for name in change.latest] + ([("first_seen_at", min)] if change.latest else [])
    for index, (name, pick) in enumerate(moments):
        names[f"#t{index}"] = name
        ref = f"#e.#t{index}"
        if current is None:
            values[":at"] = {"S": at}
            if pick is max:
                sets.append(f"{ref} = :at")
                conditions.append(f"(attribute_not_exists({ref}) OR {ref} <= :at)")
            else:
                sets.append(f"{ref} = if_not_exists({ref}, :at)")
            continue
        stored = current.get(name)
        values[f":t{index}"] = {"S": pick(stored, at) if stored else at}
        sets.append(f"{ref} = :t{index}")
        if stored:
            values[f":was{index}"] = {"S": stored}
            conditions.append(f"{ref} = :was{index}")
        else:
            conditions.append(f"attribute_not_exists({ref})")
    update = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
    return update.strip(), " AND ".join(conditions), names, values


def _interests_update(
    change: EngagementChange, at: str, current: dict | None, names: dict, values: dict, sets: list, conditions: list
) -> list[str]:
    """Adds the interests' SETs (and conditions) for `change`; returns its REMOVEs. They apply when the
    interaction is the latest by `change.guard`: in the fast form that is the guard's condition (a
    timestamp in `latest` has it already); in the exact form, the stored guard read, held by condition."""
    if not change.guard or not (change.interests or change.interests_removed):
        return []
    if current is None:
        if change.guard not in change.latest:  # e.g. an order, which ends the cart it follows
            names["#g"], values[":at"] = change.guard, {"S": at}
            conditions.append("(attribute_not_exists(#e.#g) OR #e.#g <= :at)")
    else:
        stored = current.get(change.guard)
        if stored and stored > at:
            return []  # an older one than the profile shows: on the timeline only
        if change.guard not in change.latest:  # otherwise its moment's own condition holds it
            names["#g"] = change.guard
            if stored:
                values[":g"] = {"S": stored}
                conditions.append("#e.#g = :g")
            else:
                conditions.append("attribute_not_exists(#e.#g)")
    names["#in"] = "interests"
    for index, (path, value) in enumerate(change.interests.items()):
        parts = path.split(".")
        names |= {f"#n{index}_{depth}": part for depth, part in enumerate(parts)}
        sets.append("#in." + ".".join(f"#n{index}_{depth}" for depth in range(len(parts))) + f" = :n{index}")
        values[f":n{index}"] = to_attributes({"v": value})["v"]
    removes = []
    for index, name in enumerate(change.interests_removed):
        names[f"#r{index}"] = name
        removes.append(f"#in.#r{index}")
    return removes


def _becomes_last_activity(change: EngagementChange, at: str, engagement: dict | None) -> bool:
    """The fast form only applies when the entry is the latest; the exact form, when it is later."""
    if "last_activity_at" not in change.latest:
        return False
    stored = (engagement or {}).get("last_activity_at")
    return engagement is None or stored is None or at > stored


class TimelineRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    @staticmethod
    def entry(item: dict[str, dict]) -> dict:
        return {name: value for name, value in from_attributes(item).items() if name not in _INTERNAL}

    def record(
        self,
        customer_id: str,
        entry: dict,
        change: EngagementChange,
        occurred_at: datetime,
        external_order_id: str | None,
        engagement: dict | None = None,
        idle_watch: tuple[date, int, date] | None = None,
    ) -> None:
        """Entry, order key and engagement in one transaction. Raises Backdated when the fast
        form cannot apply; call again with the engagement it carries.

        `idle_watch` (the customer's churn idle watch from this activity on: its day, its threshold
        in days, the activity's day) is put in the same transaction when the entry becomes the last
        activity, so the watch never lags behind it."""
        at = timestamp(occurred_at)
        kept = {"expires_at": until} if (until := entry_expiry(entry["type"], occurred_at)) else {}
        item = keys.entry_keys(customer_id, entry["id"], entry["type"]) | to_attributes(
            entry | {"entity": "interaction"} | kept
        )
        put = {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(SK)"}
        actions: list[Action] = [("entry", {"Put": put})]
        if external_order_id is not None:
            order = keys.order_key(customer_id, external_order_id) | to_attributes(
                {"entity": "order_key", "interaction_id": entry["id"]} | kept
            )
            put = {"TableName": self.table, "Item": order, "ConditionExpression": "attribute_not_exists(SK)"}
            actions.append(("order", {"Put": put | {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}))
        update, condition, names, values = _engagement_update(change, at, engagement)
        profile = {
            "TableName": self.table,
            "Key": keys.customer_key(customer_id),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if update:
            profile |= {"UpdateExpression": update, "ConditionExpression": condition}
            profile |= {"ExpressionAttributeNames": names} | ({"ExpressionAttributeValues": values} if values else {})
            actions.append(("profile", {"Update": profile}))
        else:  # nothing to count (a staff note): the customer must still exist
            actions.append(("profile", {"ConditionCheck": profile | {"ConditionExpression": WRITABLE}}))
        if idle_watch is not None and _becomes_last_activity(change, at, engagement):
            watch = idle_watch_item(customer_id, *idle_watch)
            actions.append(("idle watch", {"Put": {"TableName": self.table, "Item": watch}}))
        try:
            transact(self.client, actions)
        except TransactionCancelled as cancelled:
            self._explain(cancelled, customer_id, external_order_id, engagement)

    def _explain(
        self, cancelled: TransactionCancelled, customer_id: str, order_id: str | None, engagement: dict | None
    ):
        if taken := cancelled.failed("order"):
            existing = from_attributes(taken.item or {}).get("interaction_id", "unknown")
            raise Conflict(
                f"order {order_id} is already on this customer's timeline as interaction {existing}",
                [FieldProblem("external_order_id", f"already recorded as {existing}")],
                code="duplicate",
                existing_customer_id=customer_id,
                existing_interaction_id=existing,
            ) from cancelled
        if refused := cancelled.failed("profile"):
            profile = refused.item or profile_item(self.client, self.table, customer_id)
            problem = unavailable(customer_id, profile)
            if problem:
                raise problem from cancelled
            if engagement is None:  # a timestamp would have moved back: the exact form applies
                raise Backdated(from_attributes(profile).get("engagement", {})) from cancelled
            raise VersionConflict from cancelled  # the engagement changed since it was read
        if cancelled.lost_race:
            raise VersionConflict from cancelled
        raise cancelled

    def get(self, customer_id: str, entry_id: str) -> dict | None:
        key = keys.entry_key(customer_id, entry_id)
        item = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return self.entry(item) if item else None

    def update_ticket(
        self, customer_id: str, entry_id: str, before: str, changes: dict, open_delta: int, actor: str, now: datetime
    ) -> None:
        """The ticket's new status (if it is still `before`) and the open-ticket count, together."""
        names = {"#status": "status", "#type": "type"}
        values = {
            ":before": {"S": before},
            ":ticket": {"S": "ticket"},
            ":now": {"S": timestamp(now)},
            ":actor": {"S": actor},
            ":history": to_attributes(
                {"h": [{"from": before, "to": changes["status"], "at": timestamp(now), "by": actor}]}
            )["h"],
            ":none": {"L": []},
        }
        sets = ["status_history = list_append(if_not_exists(status_history, :none), :history)"]
        sets += ["updated_at = :now", "updated_by = :actor"]
        for index, (name, value) in enumerate(sorted(changes.items())):
            names[f"#c{index}"] = name
            values[f":c{index}"] = {"S": value}
            sets.append(f"#c{index} = :c{index}")
        ticket = {
            "Update": {
                "TableName": self.table,
                "Key": keys.entry_key(customer_id, entry_id),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": "#type = :ticket AND #status = :before",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        profile = {"TableName": self.table, "Key": keys.customer_key(customer_id), "ConditionExpression": WRITABLE}
        if open_delta:
            update = "SET #e.open_tickets = if_not_exists(#e.open_tickets, :zero) + :delta"
            profile_values = {":zero": {"N": "0"}, ":delta": {"N": str(open_delta)}}
            if before == "solved":  # reopened: a churn signal of its own
                update += ", #e.last_ticket_reopened_at = :now"
                profile_values[":now"] = {"S": timestamp(now)}
            profile |= {
                "UpdateExpression": update,
                "ExpressionAttributeNames": {"#e": "engagement"},
                "ExpressionAttributeValues": profile_values,
            }
        profile_action = {"Update": profile} if open_delta else {"ConditionCheck": profile}  # not while merging
        try:
            transact(self.client, [("ticket", ticket), ("profile", profile_action)])
        except TransactionCancelled as cancelled:
            if cancelled.throttled:
                raise
            if cancelled.failed("profile"):
                raise stale(self.client, self.table, customer_id) from cancelled
            raise VersionConflict from cancelled  # the status moved since it was read: read again

    def add_message(self, customer_id: str, ticket_id: str, entry: dict, at: datetime, limit: int) -> None:
        """A message on a ticket's thread, and the ticket's count of them, together: on condition the
        ticket is one, has room for another, and its customer takes writes."""
        kept = {"expires_at": until} if (until := entry_expiry("message", at)) else {}
        item = keys.message_keys(customer_id, entry["id"], ticket_id) | to_attributes(
            entry | {"entity": "interaction"} | kept
        )
        put = {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(SK)"}
        ticket = {
            "TableName": self.table,
            "Key": keys.entry_key(customer_id, ticket_id),
            "UpdateExpression": "SET messages = if_not_exists(messages, :zero) + :one, last_message_at = :at, "
            "last_message_by = :author",
            "ConditionExpression": "#type = :ticket AND (attribute_not_exists(messages) OR messages < :limit)",
            "ExpressionAttributeNames": {"#type": "type"},
            "ExpressionAttributeValues": {
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":at": {"S": entry["occurred_at"]},
                ":author": {"S": entry["author"]},
                ":ticket": {"S": "ticket"},
                ":limit": {"N": str(limit)},
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        profile = {"TableName": self.table, "Key": keys.customer_key(customer_id), "ConditionExpression": WRITABLE}
        try:
            transact(
                self.client,
                [("message", {"Put": put}), ("ticket", {"Update": ticket}), ("profile", {"ConditionCheck": profile})],
            )
        except TransactionCancelled as cancelled:
            if cancelled.throttled:
                raise
            if refused := cancelled.failed("ticket"):
                raise NoThread(from_attributes(refused.item) if refused.item else None) from cancelled
            if cancelled.failed("profile"):
                raise stale(self.client, self.table, customer_id) from cancelled
            raise VersionConflict from cancelled

    def thread(self, customer_id: str, ticket_id: str) -> list[dict]:
        """A ticket's messages, oldest first (at most the ticket's limit of them)."""
        request = {
            "TableName": self.table,
            "IndexName": keys.TIMELINE_TYPE_INDEX,
            "KeyConditionExpression": "GSI2PK = :thread",
            "ExpressionAttributeValues": {":thread": {"S": keys.thread_partition(customer_id, ticket_id)}},
        }
        return [self.entry(item) for item in query_all(self.client, request)]

    def page(self, customer_id: str, kind: str | None, limit: int, cursor: str | None) -> Page | None:
        """Newest first, one Query per page; by type from the type index. None when there is no
        customer to page, unknown or merged away (`missing` says which): a merged-away customer keeps
        its entries for undo, so only the profile can tell."""
        pk = keys.customer_pk(customer_id)
        first = cursor is None
        if kind is None:
            # The first page reads the profile with the entries: it sorts above them (the V# layout).
            request = keys.prefix_request(self.table, pk, keys.VIEW_PREFIX if first else keys.ENTRY_PREFIX)
            expected = {"PK": pk, "SK": keys.ENTRY_PREFIX}
            items, next_cursor = keys.newest_first(self.client, request, limit + first, cursor, expected)
            if first:
                if not items or not _current_profile(items[0]):
                    return None
                items = items[1:]
        else:
            # The type index holds no profile: a first page by type reads it too (a second request).
            if first and not _current_profile(profile_item(self.client, self.table, customer_id)):
                return None
            partition = keys.entry_type_partition(customer_id, kind)
            request = {
                "TableName": self.table,
                "IndexName": keys.TIMELINE_TYPE_INDEX,
                "KeyConditionExpression": "GSI2PK = :type",
                "ExpressionAttributeValues": {":type": {"S": partition}},
            }
            expected = {"PK": pk, "SK": keys.ENTRY_PREFIX, "GSI2PK": partition, "GSI2SK": None}
            items, next_cursor = keys.newest_first(self.client, request, limit, cursor, expected)
        return Page([self.entry(item) for item in items], next_cursor)

    def missing(self, customer_id: str) -> Exception:
        return CustomerRepository(self.client, self.table).missing(customer_id)

    def view(self, customer_id: str, latest: int) -> tuple[Customer | None, list[dict]]:
        """The profile item and the newest entries, in one Query (see the V# layout in keys)."""
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :view)",
            ExpressionAttributeValues={":pk": {"S": keys.customer_pk(customer_id)}, ":view": {"S": keys.VIEW_PREFIX}},
            ScanIndexForward=False,
            Limit=latest + 1,
            ConsistentRead=True,
        )
        items = response.get("Items", [])
        if not items or not _current_profile(items[0]):
            return None, []
        return CustomerRepository.customer(items[0]), [self.entry(item) for item in items[1:]]


def _current_profile(item: dict | None) -> bool:
    """Whether the item is a customer's profile that still holds the customer (not merged away or erased)."""
    return item is not None and item["SK"]["S"] == keys.PROFILE and not {"merged_into", "erased_at"} & item.keys()
