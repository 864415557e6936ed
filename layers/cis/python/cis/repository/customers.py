"""Customer profiles and their uniqueness keys in the single table.

Key shapes (this module is the only place that knows them):
  profile   PK=CUST#<id>                 SK=PROFILE   GSI1PK=CUSTOMERS#<status>  GSI1SK=<id>
  lookup    PK=KEY#<KIND>#<normalized>   SK=KEY       customer_id=<id>
A lookup item exists for every email, phone and external id; creating it with
attribute_not_exists in the same transaction as the profile is what enforces uniqueness.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from cis.domain.customer import Customer
from cis.domain.keys import UniqueKey, unique_keys
from cis.errors import FieldProblem, InvalidRequest, NotFound, PreconditionFailed, duplicate_key
from cis.repository.items import from_attributes, to_attributes, to_value
from cis.topology import TABLE

PROFILE = "PROFILE"
LIST_INDEX = TABLE.indexes[0]
_KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK")


def customer_key(customer_id: str) -> dict[str, dict]:
    return {"PK": {"S": f"CUST#{customer_id}"}, "SK": {"S": PROFILE}}


def lookup_key(kind: str, value: str) -> dict[str, dict]:
    return {"PK": {"S": f"KEY#{kind.upper()}#{value}"}, "SK": {"S": "KEY"}}


def _list_partition(status: str) -> str:
    return f"CUSTOMERS#{status}"


@dataclass(frozen=True)
class Page:
    items: list[Customer]
    next_cursor: str | None


class VersionConflict(Exception):
    """The stored version moved between our read and our write."""


class CustomerRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    # -- items ---------------------------------------------------------------------------
    def _profile_item(self, customer: Customer) -> dict[str, dict]:
        values = customer.model_dump(mode="json", exclude_none=True)
        values |= {"entity": "customer", "GSI1PK": _list_partition(customer.status), "GSI1SK": customer.id}
        return customer_key(customer.id) | to_attributes(values)

    @staticmethod
    def _customer(item: dict[str, dict]) -> Customer:
        return Customer.model_validate(from_attributes(item))

    def _lookup_put(self, key: UniqueKey, customer_id: str) -> dict:
        return {
            "Put": {
                "TableName": self.table,
                "Item": lookup_key(key.kind, key.value)
                | to_attributes({"entity": "lookup", "kind": key.kind, "customer_id": customer_id}),
                "ConditionExpression": "attribute_not_exists(PK)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _lookup_delete(self, key: UniqueKey, customer_id: str) -> dict:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": lookup_key(key.kind, key.value),
                "ConditionExpression": "customer_id = :me",
                "ExpressionAttributeValues": {":me": {"S": customer_id}},
            }
        }

    # -- writes --------------------------------------------------------------------------
    def create(self, customer: Customer) -> None:
        """Profile and all lookup items in one transaction: all are written, or none."""
        keys = unique_keys(customer)
        actions = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._profile_item(customer),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        actions += [self._lookup_put(key, customer.id) for key in keys]
        self._transact(actions, keys)

    def replace(self, customer: Customer, previous: Customer) -> None:
        """Write a whole new version, moving lookup items, if `previous` is still the stored one."""
        old_keys, new_keys = set(unique_keys(previous)), unique_keys(customer)
        old_values = {(key.kind, key.value) for key in old_keys}
        new_values = {(key.kind, key.value) for key in new_keys}
        added = [key for key in new_keys if (key.kind, key.value) not in old_values]
        removed = [key for key in old_keys if (key.kind, key.value) not in new_values]
        put = {
            "TableName": self.table,
            "Item": self._profile_item(customer),
            "ConditionExpression": "version = :previous",
            "ExpressionAttributeValues": {":previous": {"N": str(previous.version)}},
        }
        if not added and not removed:
            try:
                self.client.put_item(**put)
            except ClientError as error:
                if _code(error) == "ConditionalCheckFailedException":
                    raise VersionConflict from error
                raise
            return
        actions = [{"Put": put}]
        actions += [self._lookup_put(key, customer.id) for key in added]
        actions += [self._lookup_delete(key, customer.id) for key in removed]
        self._transact(actions, added)

    def _transact(self, actions: list[dict], keys: list[UniqueKey]) -> None:
        """Run actions whose first is the profile and whose next ones put `keys`' lookup items."""
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise VersionConflict from error
            for index, key in enumerate(keys, start=1):
                if index < len(reasons) and reasons[index].get("Code") == "ConditionalCheckFailed":
                    owner = reasons[index].get("Item") or self._lookup_item(key)
                    owner_id = from_attributes(owner).get("customer_id", "unknown") if owner else "unknown"
                    raise duplicate_key(key.path, key.label, owner_id) from error
            if any(reason.get("Code") == "TransactionConflict" for reason in reasons):
                raise VersionConflict from error  # another writer touched one of these items
            raise

    def update_fields(
        self, customer_id: str, changes: dict[str, Any], expected_version: int | None, actor: str, now: datetime
    ) -> Customer:
        """Set or remove independent fields in one UpdateItem, conditional on the version."""
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
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        condition = "attribute_exists(PK)"
        if expected_version is not None:
            condition += " AND #version = :expected"
            values[":expected"] = {"N": str(expected_version)}
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key=customer_key(customer_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise self._why_not(customer_id, error, expected_version) from error
            raise
        return self._customer(response["Attributes"])

    def archive(self, customer_id: str, expected_version: int | None, actor: str, now: datetime) -> None:
        """Mark archived and move out of the active list; archiving twice changes nothing."""
        values = {
            ":one": {"N": "1"},
            ":now": {"S": now.isoformat()},
            ":actor": {"S": actor},
            ":archived": {"S": "archived"},
            ":list": {"S": _list_partition("archived")},
        }
        condition = "attribute_exists(PK) AND #status <> :archived"
        if expected_version is not None:
            condition += " AND #version = :expected"
            values[":expected"] = {"N": str(expected_version)}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=customer_key(customer_id),
                UpdateExpression=(
                    "SET #status = :archived, GSI1PK = :list, #version = #version + :one, "
                    "updated_at = :now, updated_by = :actor"
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status", "#version": "version"},
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise
            reason = self._why_not(customer_id, error, expected_version)
            if isinstance(reason, PreconditionFailed) and reason.stored_status == "archived":
                return
            raise reason from error

    def _why_not(self, customer_id: str, error: ClientError, expected_version: int | None) -> Exception:
        old = error.response.get("Item")
        if old is None:  # not every engine returns the old item: ask, on this failure path only
            old = self.client.get_item(TableName=self.table, Key=customer_key(customer_id), ConsistentRead=True).get(
                "Item"
            )
        if not old:
            return NotFound(f"customer {customer_id} does not exist")
        stored = from_attributes(old)
        return PreconditionFailed(
            f"customer {customer_id} is at version {stored['version']}, not {expected_version}: "
            "read it again and reapply your change",
            current_version=stored["version"],
            stored_status=stored.get("status"),
        )

    # -- reads ---------------------------------------------------------------------------
    def get(self, customer_id: str) -> Customer | None:
        item = self.client.get_item(TableName=self.table, Key=customer_key(customer_id), ConsistentRead=True).get(
            "Item"
        )
        return self._customer(item) if item else None

    def _lookup_item(self, key: UniqueKey) -> dict | None:
        return self.client.get_item(TableName=self.table, Key=lookup_key(key.kind, key.value), ConsistentRead=True).get(
            "Item"
        )

    def find(self, key: UniqueKey) -> Customer | None:
        """A customer by one of their unique keys: the lookup item, then the profile."""
        item = self._lookup_item(key)
        return self.get(from_attributes(item)["customer_id"]) if item else None

    def list(self, status: str, limit: int, cursor: str | None) -> Page:
        """Newest first, one Query per page; the cursor is opaque to clients and checked here."""
        partition = _list_partition(status)
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": LIST_INDEX.name,
            "KeyConditionExpression": "GSI1PK = :list",
            "ExpressionAttributeValues": {":list": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = _decode_cursor(cursor, partition)
        response = self.client.query(**request)
        last = response.get("LastEvaluatedKey")
        return Page(
            [self._customer(item) for item in response.get("Items", [])], _encode_cursor(last) if last else None
        )


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _encode_cursor(key: dict[str, dict]) -> str:
    plain = {name: key[name]["S"] for name in _KEY_ATTRIBUTES}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, partition: str) -> dict[str, dict]:
    invalid = InvalidRequest(
        "the cursor is not one this list returned: start again without a cursor",
        [FieldProblem("cursor", "not a cursor from this list")],
    )
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise invalid from error
    if (
        not isinstance(plain, dict)
        or set(plain) != set(_KEY_ATTRIBUTES)
        or not all(isinstance(value, str) for value in plain.values())
        or plain["GSI1PK"] != partition
        or plain["SK"] != PROFILE
        or plain["PK"] != f"CUST#{plain['GSI1SK']}"
    ):
        raise invalid
    return {name: {"S": plain[name]} for name in _KEY_ATTRIBUTES}
