"""A merge as item changes: every item it writes or removes, as it was before and as it is after.

The survivor's profile becomes the merged record. Each merged-away profile stays where it is,
pointing to the survivor, and keeps its items (undo needs nothing back, and the stream announces
nothing twice); the survivor gets copies of them that name it instead. Reminders move rather than
copy, and the survivor's tag copies and lookup items follow the merged record. Undo reads these
changes to know what came from where (cis.repository.undo_plans).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cis.domain.customer import Customer, CustomerFields
from cis.domain.keys import unique_keys
from cis.repository import keys
from cis.repository.items import from_attributes, to_attributes

# What a profile item holds for the table's sake (keys, index places, kind), not as the customer's values.
TABLE_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "entity"})


@dataclass(frozen=True)
class Change:
    """One item before and after (raw attribute values); None where it does not exist."""

    before: dict | None
    after: dict | None

    @property
    def key(self) -> dict:
        image = self.after or self.before
        return {"PK": image["PK"], "SK": image["SK"]}

    @property
    def of_profile(self) -> bool:
        return self.key["SK"]["S"] == keys.PROFILE

    def inverse(self) -> Change:
        return Change(self.after, self.before)

    def to_plain(self) -> dict:
        return {"before": self.before, "after": self.after}


@dataclass(frozen=True)
class MergePlan:
    """Every item change of one merge, and the merged-away items the survivor already had."""

    changes: list[Change]
    left_in_place: list[str] = field(default_factory=list)  # <merged id>:<sort key>

    def inverse(self) -> MergePlan:
        return MergePlan([change.inverse() for change in self.changes])

    def profile_change(self, customer_id: str) -> Change:
        return next(change for change in self.changes if change.key == keys.customer_key(customer_id))

    def profile_after(self, customer_id: str) -> dict:
        """The customer's record as the merge left it (plain values)."""
        return record_of(self.profile_change(customer_id).after)


@dataclass(frozen=True)
class Partitions:
    """Every item of each customer in a merge, read consistently while they are locked; survivor first."""

    items: dict[str, list[dict]]

    def profile_item(self, customer_id: str) -> dict:
        return unlocked(next(item for item in self.items[customer_id] if item["SK"]["S"] == keys.PROFILE))

    @property
    def records(self) -> list[dict]:
        """Each customer's record (plain values), the survivor first."""
        return [record_of(self.profile_item(customer_id)) for customer_id in self.items]


def unlocked(profile: dict) -> dict:
    """A profile item without the merge lock: what it was, and what undo restores."""
    return {name: value for name, value in profile.items() if name != "merge_lock"}


def record_of(profile: dict) -> dict:
    """A profile item as the merge rules read it: the customer's values, without the table's own."""
    return {name: value for name, value in from_attributes(unlocked(profile)).items() if name not in TABLE_ATTRIBUTES}


def survivor_change(partitions: Partitions, survivor_id: str, merged: dict) -> Change:
    stored = partitions.profile_item(survivor_id)
    table_own = {name: value for name, value in stored.items() if name in TABLE_ATTRIBUTES}
    return Change(stored, table_own | to_attributes(merged))


def moved_item(item: dict, loser_id: str, survivor_id: str) -> dict:
    """The item as the survivor's: every reference to the merged-away id now names the survivor."""
    old, new = keys.customer_pk(loser_id), keys.customer_pk(survivor_id)
    moved = {}
    for name, value in item.items():
        text = value.get("S")
        if text == loser_id:
            value = {"S": survivor_id}
        elif text is not None and text.startswith(old):
            value = {"S": new + text[len(old) :]}
        moved[name] = value
    return moved


def loser_changes(
    partitions: Partitions, merge_id: str, survivor_id: str, loser_id: str, taken: set[tuple[str, str]]
) -> tuple[list[Change], list[str]]:
    """The merged-away profile becomes a pointer; the survivor gets its items (those it has not got)."""
    profile = partitions.profile_item(loser_id)
    pointer = {"merged_into": {"S": survivor_id}, "merged_by_merge": {"S": merge_id}}
    pointer["GSI1PK"] = {"S": keys.list_partition("merged")}
    unlisted = {name: value for name, value in profile.items() if name not in ("GSI2PK", "GSI2SK")}
    changes, left_in_place = [Change(profile, unlisted | pointer)], []  # and off the churn list
    for item in partitions.items[loser_id]:
        sort_key = item["SK"]["S"]
        if sort_key.startswith("TAG#"):
            changes.append(Change(item, None))  # tag lists show the survivor, under its tags
        elif sort_key.startswith(keys.REMINDER_PREFIX):
            # Moved, not copied: the due index must name each reminder once, under the survivor.
            changes += [Change(item, None), Change(None, moved_item(item, loser_id, survivor_id))]
        elif not sort_key.startswith(keys.NOT_COPIED_ON_MERGE):
            copy = moved_item(item, loser_id, survivor_id) | {"merged_from": {"S": loser_id}}
            if (copy["PK"]["S"], copy["SK"]["S"]) in taken:  # e.g. one order recorded on both
                left_in_place.append(f"{loser_id}:{sort_key}")
                continue
            changes.append(Change(None, copy))
    return changes, left_in_place


def tag_changes(
    partitions: Partitions, survivor_id: str, merged: dict, tag_copy: Callable[[Customer, str], dict]
) -> list[Change]:
    """The survivor's tag copies, as the merged record's tags and values."""
    customer = Customer.model_validate(merged)
    items = partitions.items[survivor_id]
    stored = {item["SK"]["S"]: item for item in items if item["SK"]["S"].startswith("TAG#")}
    changes = [Change(stored.get(f"TAG#{tag}"), tag_copy(customer, tag)) for tag in customer.tags]
    return changes + [Change(item, None) for key, item in stored.items() if key[4:] not in customer.tags]


def held_keys(records: list[dict]) -> set[tuple[str, str]]:
    """(kind, normalized value) of every email, phone and external id these records hold."""
    return {
        (key.kind, key.value)
        for record in records
        for key in unique_keys(
            CustomerFields.model_validate(
                {name: record[name] for name in CustomerFields.model_fields if name in record}
            )
        )
    }


def lookup_changes(lookups: list[dict], kept: set[tuple[str, str]], survivor_id: str) -> list[Change]:
    """Every lookup item any of them held: now the survivor's, or freed when the merge dropped it."""
    changes = []
    for item in lookups:
        value = from_attributes(item)
        if keys.held_by(item) not in kept:
            changes.append(Change(item, None))
        elif value["customer_id"] != survivor_id:
            changes.append(Change(item, item | {"customer_id": {"S": survivor_id}}))
    return changes
