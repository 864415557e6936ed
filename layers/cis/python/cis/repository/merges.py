"""Merges as item changes: read the customers' items, lock them, apply a plan, keep it for undo.

A merge touches more items than one transaction holds (100), so it runs as a short protocol:
1. one transaction locks every profile involved (version unchanged, no other merge) and opens
   the merge log;
2. the full plan, every item's image before and after, is written to the log;
3. the plan is applied in transactions of at most 100 items, profiles and log status last;
4. if a step fails, the steps already applied are reversed from the log and the locks released.
While locked, every write to those customers is refused (their conditions require no lock), so
no one sees or changes a half-merged customer. Undo runs the same protocol with a plan of its own
(cis.repository.undo_plans), made while locked from the merge's plan and the items as they are then:
what came from the merged-away customers goes back, what was written to the survivor since stays.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from cis.errors import Conflict, NotFound
from cis.repository import keys
from cis.repository.batches import query_all
from cis.repository.customers import (
    BlocksChanged,
    CustomerRepository,
    blocks_changed,
    profile_item,
    too_many_writes,
    unavailable,
)
from cis.repository.duplicates import DuplicateRepository
from cis.repository.items import from_attributes, to_attributes
from cis.repository.merge_plans import (
    Change,
    MergePlan,
    Partitions,
    held_keys,
    lookup_changes,
    loser_changes,
    record_of,
    survivor_change,
    tag_changes,
)
from cis.repository.personal_data import PersonalData
from cis.repository.retries import retry_on_conflict
from cis.repository.split_plans import split_changes
from cis.repository.transactions import Action, TransactionCancelled, throttled, transact
from cis.repository.undo_plans import undo_changes

MAX_TRANSACTION_ITEMS = 100
LOG_STEP_BYTES = 300_000  # each log item stays well under DynamoDB's 400 KB


def _plain(profile: dict | None) -> dict | None:
    """A profile image as matching reads it (None: no profile)."""
    return record_of(profile) if profile else None


class MergeRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name
        self.customers = CustomerRepository(client, table_name)
        self.duplicates = DuplicateRepository(client, table_name)
        self.items = PersonalData(client, table_name)  # every item of a customer's partition

    # -- reads ---------------------------------------------------------------------------
    def mergeable(self, customer_id: str) -> dict:
        """The customer's record (plain values), if it can take part in a merge now; else why not."""
        profile = profile_item(self.client, self.table, customer_id)
        problem = unavailable(customer_id, profile)
        if problem:
            raise problem
        return record_of(profile)

    def version(self, customer_id: str) -> int:
        """The stored profile's version, whatever its state (merged away too)."""
        return int(profile_item(self.client, self.table, customer_id)["version"]["N"])

    def read_locked(self, customer_ids: list[str]) -> Partitions:
        """Every item of the (locked) customers, survivor first: what the plan is made from."""
        return Partitions({customer_id: self.items.partition(customer_id) for customer_id in customer_ids})

    def log(self, merge_id: str) -> tuple[dict, MergePlan]:
        """The merge log (plain values) and the plan it applied."""
        item = self.client.get_item(TableName=self.table, Key=keys.merge_log_key(merge_id), ConsistentRead=True)
        if "Item" not in item:
            raise NotFound(f"merge {merge_id} does not exist")
        steps = query_all(self.client, keys.merge_steps(self.table, merge_id) | {"ConsistentRead": True})
        changes = [Change(**change) for step in steps for change in json.loads(step["changes"]["S"])]
        return from_attributes(item["Item"]), MergePlan(changes)

    # -- the plan ------------------------------------------------------------------------
    def plan(self, merge_id: str, partitions: Partitions, merged: dict) -> MergePlan:
        """Every item change of the merge: the survivor (first of `partitions`) becomes the `merged`
        record, the others point to it, and their items, tag copies and lookups follow."""
        survivor_id, *loser_ids = partitions.items
        changes, left_in_place = [survivor_change(partitions, survivor_id, merged)], []
        taken = {(item["PK"]["S"], item["SK"]["S"]) for item in partitions.items[survivor_id]}
        for loser_id in loser_ids:
            moved, left = loser_changes(partitions, merge_id, survivor_id, loser_id, taken)
            changes, left_in_place = changes + moved, left_in_place + left
        changes += tag_changes(partitions, survivor_id, merged, self.customers.tag_copy)
        held = sorted(held_keys(partitions.records))
        lookups = self.customers.lookup_items([keys.lookup_key(kind, value) for kind, value in held])
        changes += lookup_changes(lookups, held_keys([merged]), survivor_id)
        return MergePlan(changes, left_in_place)

    def plan_undo(self, plan: MergePlan, partitions: Partitions, stamps: dict) -> tuple[MergePlan, list]:
        """The undo's item changes, from the merge's plan and the (locked) customers' items now; and
        what it leaves for a person to review."""
        return undo_changes(plan, partitions, stamps, self.customers.tag_copy, self._lookups)

    def plan_split(
        self, partitions: Partitions, source_id: str, target: dict, created: bool, request, stamps: dict
    ) -> MergePlan:
        """The split's item changes: the chosen items of the source (first of `partitions`) move to `target`."""
        changes = split_changes(
            partitions,
            source_id,
            target,
            created,
            request,
            stamps,
            self.customers.tag_copy,
            self._lookups,
            self.customers.new_profile_item,
        )
        return MergePlan(changes)

    def _lookups(self, wanted: list[tuple[str, str]]) -> list[dict]:
        return self.customers.lookup_items([keys.lookup_key(kind, value) for kind, value in wanted])

    # -- the protocol --------------------------------------------------------------------
    def lock(self, merge_id: str, versions: dict[str, int], log: dict, status_from: str | None) -> None:
        """Lock every profile at the version read and open the merge log (or move its status on from
        `status_from`, recording `log`'s other values), together."""
        actions = [
            ("lock", self._lock(merge_id, customer_id, version)) for customer_id, version in sorted(versions.items())
        ]
        if status_from is None:
            header = keys.merge_log_key(merge_id) | to_attributes({"entity": "merge"} | log)
            put = {"TableName": self.table, "Item": header, "ConditionExpression": "attribute_not_exists(PK)"}
            actions.append(("log", {"Put": put}))
        else:
            actions.append(("log", self._status_update(merge_id, status_from, log["status"], log)))
        try:
            transact(self.client, actions)
        except TransactionCancelled as cancelled:
            if cancelled.throttled:
                raise  # throttled is not "changed after it was read": the API answers 503
            raise Conflict(
                "one of these customers changed after it was read, or is being merged: read them again and retry",
                code="concurrent_update",
            ) from cancelled

    def _lock(self, merge_id: str, customer_id: str, version: int) -> dict:
        return {
            "Update": {
                "TableName": self.table,
                "Key": keys.customer_key(customer_id),
                "UpdateExpression": "SET merge_lock = :merge",
                "ConditionExpression": "#version = :version AND attribute_not_exists(merge_lock)",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": {":merge": {"S": merge_id}, ":version": {"N": str(version)}},
            }
        }

    def save_plan(self, merge_id: str, plan: MergePlan, prefix: str = "STEP#") -> None:
        """The plan, before anything changes: what undo and recovery read (an undo's under UNDO#)."""
        steps, current, size = [], [], 0
        for change in plan.changes:
            text = json.dumps(change.to_plain())
            if current and size + len(text) > LOG_STEP_BYTES:
                steps.append(current)
                current, size = [], 0
            current.append(change.to_plain())
            size += len(text)
        if current:
            steps.append(current)
        for number, step in enumerate(steps):
            item = keys.merge_step_key(merge_id, number, prefix) | {"changes": {"S": json.dumps(step)}}
            self.client.put_item(TableName=self.table, Item=item)

    def apply(
        self,
        merge_id: str,
        plan: MergePlan,
        status_from: str,
        status_to: str,
        on_failure: str,
        values: dict | None = None,
    ) -> None:
        """Apply the plan in transactions; profiles and the log status go last, in one transaction.
        On failure, reverse what was applied, release the locks, set status `on_failure`, raise."""
        bulk = [change for change in plan.changes if not change.of_profile]
        final = [change for change in plan.changes if change.of_profile]
        batches = [bulk[start : start + MAX_TRANSACTION_ITEMS] for start in range(0, len(bulk), MAX_TRANSACTION_ITEMS)]
        done: list[list[Change]] = []
        try:
            for batch in batches:
                self._transact([self._write(change, merge_id) for change in batch])
                done.append(batch)
            closing = [("profile", self._write(change, merge_id)) for change in final]
            closing.append(("log", self._status_update(merge_id, status_from, status_to, values)))
            self._close(closing, final)
        except Exception as error:
            for batch in reversed(done):
                self._transact([self._write(change.inverse(), merge_id) for change in batch])
            self._release(merge_id, [change.key for change in final if change.before], status_from, on_failure)
            if isinstance(error, ClientError) and _cancelled_by_a_condition(error):
                raise Conflict(
                    "an item changed while the merge (or its undo) was applied; nothing was kept: retry",
                    code="concurrent_update",
                ) from error
            raise

    def _close(self, closing: list[Action], profiles: list[Change]) -> None:
        """The profiles, the log status and the records' blocks, together: the survivor filed as merged,
        the merged-away ones out of every block (undo: the other way). A block someone else changed
        between our read and our write is read again; the customers themselves are locked."""

        def attempt() -> None:
            refiled = [(keys.customer_id_of(c.key), _plain(c.before), _plain(c.after)) for c in profiles]
            blocks = self.duplicates.refiling(refiled).actions()
            if len(closing) + len(blocks) > MAX_TRANSACTION_ITEMS:
                raise too_many_writes(len(closing) + len(blocks))
            named = [*closing, *blocks]
            try:
                self._transact([action for _, action in named])
            except ClientError as error:
                cancelled = error.response.get("Error", {}).get("Code") == "TransactionCanceledException"
                if cancelled and blocks_changed(TransactionCancelled(error, [name for name, _ in named])):
                    raise BlocksChanged from error
                raise

        retry_on_conflict(attempt, conflict_type=BlocksChanged)

    def release(self, merge_id: str, customer_ids: list[str], status_from: str, status_to: str) -> None:
        """Unlock the customers and move the log's status on: the merge (or its undo) is not happening."""
        self._release(
            merge_id, [keys.customer_key(customer_id) for customer_id in customer_ids], status_from, status_to
        )

    def _release(self, merge_id: str, profile_keys: list[dict], status_from: str, status_to: str) -> None:
        actions = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key,
                    "UpdateExpression": "REMOVE merge_lock",
                    "ConditionExpression": "merge_lock = :merge",
                    "ExpressionAttributeValues": {":merge": {"S": merge_id}},
                }
            }
            for key in profile_keys
        ]
        self._transact([*actions, self._status_update(merge_id, status_from, status_to)])

    def _write(self, change: Change, merge_id: str) -> dict:
        locked = {
            "ConditionExpression": "merge_lock = :merge",
            "ExpressionAttributeValues": {":merge": {"S": merge_id}},
        }
        if change.after is None:
            delete = {"TableName": self.table, "Key": change.key}
            return {"Delete": delete | (locked if change.of_profile else {})}
        put = {"TableName": self.table, "Item": change.after}
        if change.before is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        elif change.of_profile:
            put |= locked
        return {"Put": put}

    def _status_update(self, merge_id: str, status_from: str, status_to: str, values: dict | None = None) -> dict:
        """Move the log from one status to the next (and record `values`, such as who undid it)."""
        others = {name: value for name, value in (values or {}).items() if name != "status"}
        names = {"#status": "status"} | {f"#v{i}": name for i, name in enumerate(others)}
        attributes = {":to": {"S": status_to}, ":from": {"S": status_from}}
        attributes |= {f":v{i}": value for i, value in enumerate(to_attributes(others).values())}
        sets = ["#status = :to"] + [f"#v{i} = :v{i}" for i in range(len(others))]
        return {
            "Update": {
                "TableName": self.table,
                "Key": keys.merge_log_key(merge_id),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": "#status = :from",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": attributes,
            }
        }

    def _transact(self, actions: list[dict]) -> None:
        if actions:
            self.client.transact_write_items(TransactItems=actions)


def _cancelled_by_a_condition(error: ClientError) -> bool:
    """A transaction cancelled by another writer (a condition or a race), not throttled."""
    return error.response.get("Error", {}).get("Code") == "TransactionCanceledException" and not throttled(error)
