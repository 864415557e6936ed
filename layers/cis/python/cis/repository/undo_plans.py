"""Undo of a merge as item changes, made from the merge's plan and the items as they are now.

Read while every customer of the merge is locked again, so nothing moves under the plan. What
came from the merged-away customers goes back: the survivor's copies of their items are removed
(their originals never left), moved reminders move back, their profiles, tag copies and lookups
return. What was written to the survivor since the merge stays. A copy that changed on the
survivor since (a subscription renewed there, an entry edited) stays on the survivor and is
reported, as is a survivor field the merge set and someone edited since (cis.domain.unmerging).
"""

from __future__ import annotations

from collections.abc import Callable

from cis.domain.splitting import with_entries
from cis.domain.unmerging import LeftForReview, survivor_after_undo
from cis.repository import keys
from cis.repository.items import from_attributes, to_attributes
from cis.repository.merge_plans import (
    TABLE_ATTRIBUTES,
    Change,
    MergePlan,
    Partitions,
    held_keys,
    moved_item,
    record_of,
    tag_changes,
    unlocked,
)
from cis.repository.split_plans import valid_record


def _where(sort_key: str) -> str:
    """An item's sort key as a person reads it: timeline.<entry id>, subscriptions.<id>, ..."""
    for prefix, name in (
        (keys.ENTRY_PREFIX, "timeline"),
        ("SUB#", "subscriptions"),
        ("ORDER#", "orders"),
        ("CONSENT#", "consent_history"),
        (keys.REMINDER_PREFIX, "reminders"),
    ):
        if sort_key.startswith(prefix):
            return f"{name}.{sort_key[len(prefix) :].replace('#', '.')}"
    return sort_key


def undo_changes(
    merge_plan: MergePlan,
    partitions: Partitions,
    stamps: dict,
    tag_copy: Callable,
    lookup_of: Callable[[list[tuple[str, str]]], list[dict]],
) -> tuple[MergePlan, list[LeftForReview]]:
    """Every item change of the undo. `partitions` holds every item of the (locked) survivor and
    merged-away customers, survivor first; `stamps` the survivor's updated_at and updated_by;
    `lookup_of(kinds_and_values)` reads lookup items."""
    survivor_id, *loser_ids = partitions.items
    survivor_pk = keys.customer_pk(survivor_id)
    current = {(item["PK"]["S"], item["SK"]["S"]): item for items in partitions.items.values() for item in items}
    review: list[LeftForReview] = []
    changes: list[Change] = []
    left_entries: list[dict] = []  # copies of entries left on the survivor, as the merge made them

    # Subscriptions that came over and changed on the survivor since stay there (reported).
    merged_record, now_record = merge_plan.profile_after(survivor_id), partitions.records[0]
    copies = {change.key["SK"]["S"]: change.after for change in merge_plan.changes if change.before is None}
    staying = set()
    for subscription_id, then in (merged_record.get("subscriptions") or {}).items():
        if "merged_from" not in then:
            continue
        sort_key = f"SUB#{subscription_id}"
        now = (now_record.get("subscriptions") or {}).get(subscription_id)
        if now is not None and (now != then or current.get((survivor_pk, sort_key)) != copies.get(sort_key)):
            staying.add(subscription_id)
            review.append(
                LeftForReview(
                    customer_id=survivor_id,
                    field=f"subscriptions.{subscription_id}",
                    problem=f"changed on the survivor since the merge: stays there (came from {then['merged_from']})",
                )
            )

    def stays(sort_key: str) -> bool:
        return any(sort_key.startswith(f"{prefix}{sid}") for sid in staying for prefix in ("SUB#", "REMIND#"))

    for change in merge_plan.changes:
        if change.of_profile or change.key["PK"]["S"].startswith("KEY#"):
            continue
        pk, sort_key = change.key["PK"]["S"], change.key["SK"]["S"]
        now = current.get((pk, sort_key))
        if pk == survivor_pk:
            if sort_key.startswith("TAG#"):
                continue  # the survivor's tag copies follow its record, below
            if change.before is not None or now is None or stays(sort_key):
                continue  # not the merge's (or gone since, or staying)
            if sort_key.startswith(keys.REMINDER_PREFIX):  # moves back as it is now
                loser_id = _owner_of(merge_plan, sort_key)
                changes += [Change(now, None), Change(None, moved_item(now, survivor_id, loser_id))]
            elif now == change.after:
                changes.append(Change(now, None))
            else:
                if sort_key.startswith(keys.ENTRY_PREFIX):
                    left_entries.append(from_attributes(change.after))
                review.append(
                    LeftForReview(
                        customer_id=survivor_id,
                        field=_where(sort_key),
                        problem="changed on the survivor since the merge: left there; "
                        f"customer {change.after['merged_from']['S']} has it as before the merge",
                    )
                )
        elif sort_key.startswith("TAG#") and change.after is None and now is None:
            changes.append(Change(None, change.before))  # the merged-away customer's tag copy, back
    for loser_id in loser_ids:  # a subscription that stays is kept once, on the survivor
        changes += [Change(item, None) for item in partitions.items[loser_id] if stays(item["SK"]["S"])]

    # The merged-away profiles: as they were, without a subscription that stays on the survivor.
    targets = {}
    for loser_id in loser_ids:
        was = unlocked(merge_plan.profile_change(loser_id).before)
        record = record_of(was)
        gone = staying & (record.get("subscriptions") or {}).keys()
        if gone:
            record["subscriptions"] = {k: v for k, v in record["subscriptions"].items() if k not in gone}
            record |= {"version": record["version"] + 1} | stamps
            was = {name: value for name, value in was.items() if name in TABLE_ATTRIBUTES} | to_attributes(record)
        targets[loser_id] = record
        changes.append(Change(partitions.profile_item(loser_id), was))

    # The survivor: the merge taken out of what it is now.
    before = merge_plan.profile_change(survivor_id).before
    values, problems = survivor_after_undo(record_of(before), merged_record, now_record, frozenset(staying))
    if left_entries:  # what they counted at the merge stays counted, where they stay
        values["engagement"] = with_entries(values.get("engagement") or {}, left_entries)
    values |= {"version": now_record["version"] + 1} | stamps
    valid_record(values, "survivor")  # e.g. emails a rule dropped, back beside ones added since: too many
    review += [LeftForReview(customer_id=survivor_id, field=p.path, problem=p.problem) for p in problems]
    stored = partitions.profile_item(survivor_id)
    table_own = {name: value for name, value in stored.items() if name in TABLE_ATTRIBUTES}
    changes.append(Change(stored, table_own | to_attributes(values)))
    changes += tag_changes(partitions, survivor_id, values, tag_copy)

    # Lookups: each unique key to the record that holds it after the undo (the survivor first).
    wanted: dict[tuple[str, str], str] = {}
    for loser_id, record in targets.items():
        wanted |= dict.fromkeys(held_keys([record]), loser_id)
    for key in held_keys([values]):
        if key in wanted:
            review.append(
                LeftForReview(
                    customer_id=wanted[key],
                    field=f"{key[0]}:{key[1]}",
                    problem=f"the survivor {survivor_id} holds it since the merge: remove it from one of them",
                )
            )
        wanted[key] = survivor_id
    involved = set(partitions.items)
    seen = held_keys(partitions.records) | held_keys([record_of(before)]) | set(wanted)
    for item in lookup_of(sorted(seen)):
        value = from_attributes(item)
        key = keys.held_by(item)
        owner = wanted.pop(key, None)
        if value["customer_id"] not in involved:
            if owner is not None:
                review.append(
                    LeftForReview(
                        customer_id=owner,
                        field=f"{key[0]}:{key[1]}",
                        problem=f"now held by customer {value['customer_id']}: correct one of them",
                    )
                )
        elif owner is None:
            changes.append(Change(item, None))
        elif value["customer_id"] != owner:
            changes.append(Change(item, item | {"customer_id": {"S": owner}}))
    freed = {change.key["PK"]["S"]: change.before for change in merge_plan.changes if change.after is None}
    for (kind, normalized), owner in sorted(wanted.items()):
        image = keys.lookup_item(kind, normalized, owner)
        changes.append(Change(None, freed.get(image["PK"]["S"], image) | {"customer_id": {"S": owner}}))
    return MergePlan(changes), review


def _owner_of(merge_plan: MergePlan, sort_key: str) -> str:
    """The merged-away customer a moved item came from: the one whose copy the merge removed."""
    return next(
        change.key["PK"]["S"].removeprefix("CUST#")
        for change in merge_plan.changes
        if change.after is None and change.key["SK"]["S"] == sort_key and change.before is not None
    )
