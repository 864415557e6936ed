"""Customer profiles and their uniqueness keys (key shapes: cis.repository.keys).

A lookup item exists for every email, phone and external id; creating it with
attribute_not_exists in the same transaction as the profile is what enforces uniqueness.
Client edits change only the client's fields and bump `version`; system-kept attributes
(engagement, consents, subscriptions) are written by their own paths and never overwritten by an edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from cis.domain import interests
from cis.domain.customer import SYSTEM_KEPT, Customer, CustomerFields
from cis.domain.engagement import WEEKLY
from cis.domain.keys import UniqueKey, unique_keys
from cis.domain.model import STORED
from cis.domain.retention import configured
from cis.errors import (
    CisError,
    Erased,
    FieldProblem,
    Merged,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    archived,
    being_merged,
    duplicate_key,
    erased_contact,
)
from cis.repository import keys
from cis.repository.batches import batch_get
from cis.repository.items import from_attributes, to_attributes, to_value
from cis.repository.keys import Page as Page  # where callers have long found it
from cis.repository.transactions import CONDITION_FAILED, LOST_RACE, Action, TransactionCancelled, transact

MAX_TRANSACTION_ITEMS = 100  # TransactWriteItems' limit


class VersionConflict(Exception):
    """Another writer changed an item between our read and our write."""


class BlocksChanged(VersionConflict):
    """A block the write read (to check for duplicates, or to file the record) changed since: read the
    blocks again and retry; the record itself may be as it was."""


def too_many_writes(count: int) -> Unprocessable:
    """A record whose write would pass TransactWriteItems' limit: refused as it is, never half written."""
    return Unprocessable(
        [
            FieldProblem(
                "body",
                f"this write touches {count} items (the profile, a lookup item per email, phone and external id, "
                f"a tag copy per tag, a block per blocking key), more than one atomic write allows "
                f"({MAX_TRANSACTION_ITEMS}): send fewer emails, phones, addresses, external ids or tags at once",
            )
        ]
    )


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _lookup_action(key: UniqueKey) -> str:
    """The name of the action that puts a unique key's lookup item in a transaction."""
    return f"lookup {key.kind} {key.value}"


def blocks_changed(cancelled: TransactionCancelled) -> bool:
    """A block the write read has changed since (its version condition failed, or a writer held it),
    and the profile's own condition held: check and file again on the blocks as they are now. This
    goes before explaining a taken email or phone: the record that took it may be a likely duplicate,
    which the check answers better (possible_duplicate, with candidates)."""
    from cis.repository.duplicates import BLOCK_ACTION

    if cancelled.throttled or cancelled.failed("profile"):
        return False
    return any(
        reason.name == BLOCK_ACTION and reason.code in (CONDITION_FAILED, LOST_RACE) for reason in cancelled.reasons
    )


def profile_item(client: Any, table: str, customer_id: str) -> dict | None:
    """The stored profile item, read consistently: the answer to "why did my condition fail?"."""
    return client.get_item(TableName=table, Key=keys.customer_key(customer_id), ConsistentRead=True).get("Item")


SUPPRESSED = "erased"  # a unique key an erased customer held: refused (holders, erased_contact)

# Every write that touches a customer's profile requires it: a customer being merged, merged away or
# archived takes no writes (archiving sets archived_at; restoring removes it).
WRITABLE = (
    "attribute_exists(PK) AND attribute_not_exists(merge_lock) AND attribute_not_exists(merged_into) "
    "AND attribute_not_exists(archived_at)"
)


def stale(client: Any, table: str, customer_id: str) -> Exception:
    """A profile write's condition failed: another version (read again), or the customer takes no writes."""
    return unavailable(customer_id, profile_item(client, table, customer_id)) or VersionConflict()


def refusal(client: Any, table: str, customer_id: str, reported: dict | None = None) -> CisError | None:
    """A profile condition failed: why this customer takes no writes, from the profile the engine
    `reported` with the failure or else a consistent read; None when it does take them."""
    return unavailable(customer_id, reported or profile_item(client, table, customer_id))


def absence(client: Any, table: str, customer_id: str) -> CisError | None:
    """Why a read finds nothing of a customer: never there, merged away or erased; None if it is there
    (an archived customer, or one being merged, is still read)."""
    problem = refusal(client, table, customer_id)
    return None if problem is not None and problem.code in ("archived", "merge_in_progress") else problem


def unavailable(customer_id: str, profile: dict | None) -> CisError | None:
    """Why a customer takes no writes: never existed, merged into another, mid-merge, or archived. None if it does."""
    if profile is None:
        return NotFound(f"customer {customer_id} does not exist")
    if "erased_at" in profile:
        return Erased(customer_id)
    if "merged_into" in profile:
        return Merged(customer_id, profile["merged_into"]["S"], profile["merged_by_merge"]["S"])
    if "merge_lock" in profile:
        return being_merged(customer_id)
    if "archived_at" in profile:
        return archived(customer_id)
    return None


def field_updates(changes: dict[str, Any], actor: str, now: datetime) -> tuple[str, dict, dict]:
    """UpdateExpression, names and values: set or remove each field, bump the version, stamp."""
    names = {"#version": "version", "#updated_at": "updated_at", "#updated_by": "updated_by"}
    values = {":one": {"N": "1"}, ":now": {"S": now.isoformat()}, ":actor": {"S": actor}}
    sets = ["#version = #version + :one", "#updated_at = :now", "#updated_by = :actor"]
    removes = []
    for index, (name, value) in enumerate(sorted(changes.items())):
        names[f"#f{index}"] = name
        if value is None:
            removes.append(f"#f{index}")
        else:
            values[f":v{index}"] = to_value(value)
            sets.append(f"#f{index} = :v{index}")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return expression, names, values


class CustomerRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def new_profile_item(self, customer: Customer) -> dict[str, dict]:
        values = customer.model_dump(mode="json", exclude_none=True, exclude=SYSTEM_KEPT)
        values |= {"entity": "customer", "GSI1PK": keys.list_partition(customer.status), "GSI1SK": customer.id}
        # The engagement maps exist from the start, so interaction writes can update paths inside them.
        values["engagement"] = {"lifetime_value": {}} | {name: {} for name in WEEKLY}
        values["consents"] = {}
        values["subscriptions"] = {}
        values["interests"] = interests.empty()
        return keys.customer_key(customer.id) | to_attributes(values)

    def tag_copy(self, customer: Customer, tag: str) -> dict[str, dict]:
        """The customer as a tag list shows them: own fields and metadata, not what the system keeps (SYSTEM_KEPT)."""
        values = customer.model_dump(mode="json", exclude_none=True, exclude=SYSTEM_KEPT)
        values |= {"entity": "tag", "tag": tag, "GSI1PK": keys.tag_partition(tag), "GSI1SK": customer.id}
        return keys.tag_key(customer.id, tag) | to_attributes(values)

    def tag_copy_actions(self, customer: Customer, listed: bool) -> list[Action]:
        """Put (listed) or delete the customer's tag copies: on or off every tag list, in a transaction."""
        if listed:
            return [
                ("tag", {"Put": {"TableName": self.table, "Item": self.tag_copy(customer, tag)}})
                for tag in customer.tags
            ]
        keys_ = [keys.tag_key(customer.id, tag) for tag in customer.tags]
        return [("old tag", {"Delete": {"TableName": self.table, "Key": key}}) for key in keys_]

    def refresh_tag_copies(self, customer: Customer) -> None:
        """Bring existing tag copies up to this version (never bring back a removed tag)."""
        for tag in customer.tags:
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item=self.tag_copy(customer, tag),
                    ConditionExpression="attribute_exists(PK) AND #version < :version",
                    ExpressionAttributeNames={"#version": "version"},
                    ExpressionAttributeValues={":version": {"N": str(customer.version)}},
                )
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise

    @staticmethod
    def customer(item: dict[str, dict]) -> Customer:
        return Customer.model_validate(from_attributes(item), context=STORED)

    def _lookup_put(self, key: UniqueKey, customer_id: str) -> Action:
        return _lookup_action(key), {
            "Put": {
                "TableName": self.table,
                "Item": keys.lookup_item(key.kind, key.value, customer_id),
                "ConditionExpression": "attribute_not_exists(PK)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _lookup_delete(self, key: UniqueKey, customer_id: str) -> Action:
        return "old " + _lookup_action(key), {
            "Delete": {
                "TableName": self.table,
                "Key": keys.lookup_key(key.kind, key.value),
                "ConditionExpression": "customer_id = :me",
                "ExpressionAttributeValues": {":me": {"S": customer_id}},
            }
        }

    # -- writes --------------------------------------------------------------------------
    def create(self, customer: Customer, also: list[Action] = ()) -> None:
        """Profile, lookup items, tag copies (and `also`: its blocks...) in one transaction: all are
        written, or none."""
        actions = [*self.create_actions(customer), *also]
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise too_many_writes(len(actions))
        self._transact(customer.id, actions, unique_keys(customer))

    def create_actions(self, customer: Customer) -> list[Action]:
        """The writes of a new customer: the profile, its lookup items, its tag copies."""
        put = {"TableName": self.table, "Item": self.new_profile_item(customer)}
        put["ConditionExpression"] = "attribute_not_exists(PK)"
        actions = [("profile", {"Put": put})] + [self._lookup_put(key, customer.id) for key in unique_keys(customer)]
        return actions + [
            ("tag", {"Put": {"TableName": self.table, "Item": self.tag_copy(customer, tag)}}) for tag in customer.tags
        ]

    def lookup_items(self, lookups: list[dict]) -> list[dict]:
        """Lookup items by key, 100 per BatchGetItem: who holds which email, phone or external id."""
        return batch_get(self.client, self.table, lookups)

    def holders(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(kind, normalized value) -> the customer holding that unique key, for those someone holds;
        SUPPRESSED for an erased customer's."""
        lookups = {keys.lookup_key(kind, value)["PK"]["S"]: (kind, value) for kind, value in wanted}
        items = self.lookup_items([{"PK": {"S": pk}, "SK": {"S": "KEY"}} for pk in lookups])
        return {lookups[i["PK"]["S"]]: SUPPRESSED if "erased" in i else i["customer_id"]["S"] for i in items}

    def replace(self, customer: Customer, previous: Customer, also: list[Action] = ()) -> None:
        """Write the client's fields of a new version, moving lookup items (and `also`: its blocks), if
        `previous` is still stored."""
        old_keys, new_keys = unique_keys(previous), unique_keys(customer)
        old_values = {(key.kind, key.value) for key in old_keys}
        new_values = {(key.kind, key.value) for key in new_keys}
        added = [key for key in new_keys if (key.kind, key.value) not in old_values]
        removed = [key for key in old_keys if (key.kind, key.value) not in new_values]
        # As a create stores them (no null inside an email or an address), so that an edit of one field
        # leaves the others' stored images, and the audit diff, as they were; a field now absent is removed.
        stored = customer.model_dump(mode="json", include=set(CustomerFields.model_fields), exclude_none=True)
        fields = {name: stored.get(name) for name in CustomerFields.model_fields}
        expression, names, values = field_updates(fields, customer.updated_by, customer.updated_at)
        update = {
            "TableName": self.table,
            "Key": keys.customer_key(customer.id),
            "UpdateExpression": expression,
            "ConditionExpression": f"#version = :previous AND {WRITABLE}",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values | {":previous": {"N": str(previous.version)}},
        }
        tagged = [t for t in customer.tags if t not in previous.tags]
        untagged = [t for t in previous.tags if t not in customer.tags]
        if not added and not removed and not tagged and not untagged and not also:
            try:
                self.client.update_item(**update)
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    raise stale(self.client, self.table, customer.id) from error
                raise
            return
        actions: list[Action] = [("profile", {"Update": update})]
        actions += [self._lookup_put(key, customer.id) for key in added]
        actions += [self._lookup_delete(key, customer.id) for key in removed]
        actions += [("tag", {"Put": {"TableName": self.table, "Item": self.tag_copy(customer, tag)}}) for tag in tagged]
        actions += [
            ("old tag", {"Delete": {"TableName": self.table, "Key": keys.tag_key(customer.id, tag)}})
            for tag in untagged
        ]
        actions += also
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise too_many_writes(len(actions))
        self._transact(customer.id, actions, added)

    def keep_apart(
        self, apart: dict[str, tuple[list[str], int]], actor: str, now: datetime, also: list[Action] = ()
    ) -> None:
        """Set each customer's distinct_from (id -> (ids, the version read)) as a new version, with `also`
        (their blocks, the pair's items), in one transaction: every profile still at the version read."""
        actions: list[Action] = []
        for customer_id, (distinct_from, version) in sorted(apart.items()):
            expression, names, values = field_updates({"distinct_from": distinct_from}, actor, now)
            update = {
                "TableName": self.table,
                "Key": keys.customer_key(customer_id),
                "UpdateExpression": expression,
                "ConditionExpression": f"#version = :previous AND {WRITABLE}",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values | {":previous": {"N": str(version)}},
            }
            actions.append((f"profile {customer_id}", {"Update": update}))
        try:
            transact(self.client, [*actions, *also])
        except TransactionCancelled as cancelled:
            for customer_id in sorted(apart):
                if cancelled.failed(f"profile {customer_id}"):
                    raise stale(self.client, self.table, customer_id) from cancelled
            if blocks_changed(cancelled) or cancelled.lost_race:
                raise VersionConflict from cancelled
            raise

    def _transact(self, customer_id: str, actions: list[Action], new_keys: list[UniqueKey]) -> None:
        """Run actions that write the profile and put `new_keys`' lookup items; say which refused."""
        try:
            transact(self.client, actions)
        except TransactionCancelled as cancelled:
            if cancelled.failed("profile"):
                raise stale(self.client, self.table, customer_id) from cancelled
            if blocks_changed(cancelled):
                raise BlocksChanged from cancelled
            for key in new_keys:
                if taken := cancelled.failed(_lookup_action(key)):
                    owner = taken.item or self._lookup_item(key)
                    if owner and "erased" in owner:
                        raise erased_contact(key.path) from cancelled
                    owner_id = from_attributes(owner).get("customer_id", "unknown") if owner else "unknown"
                    raise duplicate_key(key.path, key.label, owner_id) from cancelled
            if cancelled.lost_race:
                raise VersionConflict from cancelled  # another writer touched one of these items
            raise

    def update_fields(
        self, customer_id: str, changes: dict[str, Any], expected_version: int | None, actor: str, now: datetime
    ) -> Customer:
        """Set or remove independent fields in one UpdateItem, conditional on the version."""
        expression, names, values = field_updates(changes, actor, now)
        condition = WRITABLE
        if expected_version is not None:
            condition += " AND #version = :expected"
            values[":expected"] = {"N": str(expected_version)}
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key=keys.customer_key(customer_id),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise self._why_not(customer_id, error, expected_version) from error
            raise
        return self.customer(response["Attributes"])

    def archive(
        self,
        customer_id: str,
        expected_version: int | None,
        actor: str,
        now: datetime,
        also: list[Action] = (),
        read_version: int | None = None,
        erase_in_days: int | None = None,
    ) -> None:
        """Mark archived (archived_at: every later write's condition refuses it) and move out of the active
        and churn lists; archiving twice changes nothing. With `also` (its blocks, which it leaves, and its
        tag copies, off every tag list), one transaction, on condition the profile is still at `read_version`.
        Retention erases it after `erase_in_days`, or the retention rules' archived_profiles_days."""
        self._move(customer_id, "archived", expected_version, actor, now, also, read_version, erase_in_days)

    def restore(
        self,
        customer_id: str,
        expected_version: int | None,
        actor: str,
        now: datetime,
        also: list[Action] = (),
        read_version: int | None = None,
    ) -> None:
        """An archived customer active again (restoring twice changes nothing); `also` as for archive:
        its blocks filed again and its tag copies back, in the same transaction."""
        self._move(customer_id, "active", expected_version, actor, now, also, read_version)

    def _move(
        self,
        customer_id: str,
        status: str,
        expected_version: int | None,
        actor: str,
        now: datetime,
        also: list[Action],
        read_version: int | None,
        erase_in_days: int | None = None,
    ) -> None:
        values = {
            ":one": {"N": "1"},
            ":now": {"S": now.isoformat()},
            ":actor": {"S": actor},
            ":status": {"S": status},
            ":list": {"S": keys.list_partition(status)},
        }
        sets = (
            "SET #status = :status, GSI1PK = :list, #version = #version + :one, updated_at = :now, updated_by = :actor"
        )
        # Archived: every write's condition (WRITABLE) refuses the customer; restored: writable again.
        if status == "archived":
            condition = f"{WRITABLE} AND #status <> :status"
            # Off the churn list, and on the day retention erases it instead.
            expression = f"{sets}, archived_at = :now, GSI2PK = :erase_on, GSI2SK = :id"
            days = configured().archived_profiles_days if erase_in_days is None else erase_in_days
            erase_on = (now + timedelta(days=days)).date().isoformat()
            values |= {":erase_on": {"S": keys.erase_due_partition(erase_on)}, ":id": {"S": customer_id}}
        else:
            condition = "attribute_exists(archived_at) AND attribute_not_exists(merge_lock) AND "
            condition += "attribute_not_exists(merged_into)"
            expression = f"{sets} REMOVE archived_at, GSI2PK, GSI2SK"
        if expected_version is not None:
            condition += " AND #version = :expected"
            values[":expected"] = {"N": str(expected_version)}
        if also:
            condition += " AND #version = :read"
            values[":read"] = {"N": str(read_version)}
        update = {
            "TableName": self.table,
            "Key": keys.customer_key(customer_id),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#status": "status", "#version": "version"},
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        actions = [("profile", {"Update": update}), *also]
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise too_many_writes(len(actions))
        try:
            if also:
                transact(self.client, actions)
            else:
                self.client.update_item(**update)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            if problem := self._not_moved(customer_id, status, error.response.get("Item"), expected_version):
                raise problem from error
        except TransactionCancelled as cancelled:
            if failed := cancelled.failed("profile"):
                if problem := self._not_moved(customer_id, status, failed.item, expected_version):
                    raise problem from cancelled
                return
            if blocks_changed(cancelled):
                raise BlocksChanged from cancelled
            if cancelled.lost_race:
                raise VersionConflict from cancelled
            raise

    def _not_moved(self, customer_id: str, status: str, stored: dict | None, expected_version: int | None):
        """Why a status change's condition failed; None when the customer has that status already."""
        stored = stored or profile_item(self.client, self.table, customer_id)
        problem = unavailable(customer_id, stored)
        if problem is not None and not (status == "active" and problem.code == "archived"):
            return problem
        values = from_attributes(stored)
        if values.get("status") == status:
            return None
        if expected_version is not None and values["version"] != expected_version:
            return PreconditionFailed(
                f"customer {customer_id} is at version {values['version']}, not {expected_version}: "
                "read it again and reapply your change",
                current_version=values["version"],
                stored_status=values.get("status"),
            )
        return VersionConflict()  # changed since it was read: read again

    def _why_not(self, customer_id: str, error: ClientError, expected_version: int | None) -> Exception:
        old = error.response.get("Item")
        if old is None:  # not every engine returns the old item: ask, on this failure path only
            old = profile_item(self.client, self.table, customer_id)
        problem = unavailable(customer_id, old)
        if problem:
            return problem
        stored = from_attributes(old)
        return PreconditionFailed(
            f"customer {customer_id} is at version {stored['version']}, not {expected_version}: "
            "read it again and reapply your change",
            current_version=stored["version"],
            stored_status=stored.get("status"),
        )

    # -- reads ---------------------------------------------------------------------------
    def missing(self, customer_id: str) -> CisError:
        """Why there is no profile: merged into another customer (a pointer), or never there."""
        return refusal(self.client, self.table, customer_id) or NotFound(f"customer {customer_id} does not exist")

    def get(self, customer_id: str) -> Customer | None:
        """The customer, or None when there is none (or it was merged away: `missing` says where)."""
        item = profile_item(self.client, self.table, customer_id)
        return self.customer(item) if item and "merged_into" not in item else None

    def _lookup_item(self, key: UniqueKey) -> dict | None:
        lookup = keys.lookup_key(key.kind, key.value)
        return self.client.get_item(TableName=self.table, Key=lookup, ConsistentRead=True).get("Item")

    def find(self, key: UniqueKey) -> Customer | None:
        """A customer by one of their unique keys: the lookup item, then the profile."""
        item = self._lookup_item(key)
        return self.get(from_attributes(item)["customer_id"]) if item else None

    def tagged(self, tag: str, limit: int, cursor: str | None) -> Page:
        """Customers with a tag, newest first, from the tag copies: one Query per page."""
        return self._gsi1_page(keys.tag_partition(tag), f"TAG#{tag}", limit, cursor)

    def list(self, status: str, limit: int, cursor: str | None) -> Page:
        """Newest first, one Query per page; the cursor is opaque to clients and checked here."""
        return self._gsi1_page(keys.list_partition(status), keys.PROFILE, limit, cursor)

    def at_risk(self, level: str, limit: int, cursor: str | None) -> Page:
        """Customers at a churn risk level, highest score first: one Query per page."""
        partition = keys.churn_partition(level)
        request = {
            "TableName": self.table,
            "IndexName": keys.TIMELINE_TYPE_INDEX,
            "KeyConditionExpression": "GSI2PK = :partition",
            "ExpressionAttributeValues": {":partition": {"S": partition}},
        }
        expected = {"PK": None, "SK": keys.PROFILE, "GSI2PK": partition, "GSI2SK": None}
        items, next_cursor = keys.newest_first(
            self.client,
            request,
            limit,
            cursor,
            expected,
            lambda key: key["PK"] == keys.customer_pk(key["GSI2SK"].partition("#")[2]),
        )
        return Page([self.customer(item) for item in items], next_cursor)

    def _gsi1_page(self, partition: str, sort_key: str, limit: int, cursor: str | None) -> Page:
        request = {
            "TableName": self.table,
            "IndexName": keys.LIST_INDEX,
            "KeyConditionExpression": "GSI1PK = :partition",
            "ExpressionAttributeValues": {":partition": {"S": partition}},
        }
        expected = {"PK": None, "SK": sort_key, "GSI1PK": partition, "GSI1SK": None}
        items, next_cursor = keys.newest_first(
            self.client, request, limit, cursor, expected, lambda key: key["PK"] == keys.customer_pk(key["GSI1SK"])
        )
        return Page([self.customer(item) for item in items], next_cursor)
