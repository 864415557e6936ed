"""Merge customers into a survivor, and undo a merge. Plans item changes; the repository applies them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ulid import ULID

from cis.domain.customer import Customer, CustomerFields
from cis.domain.keys import unique_keys
from cis.domain.merging import (
    MergeLog,
    MergeRequest,
    combined_consents,
    combined_engagement,
    combined_subscriptions,
    survivor_fields,
)
from cis.errors import Conflict, FieldProblem, InvalidRequest, NotFound, Unprocessable
from cis.repository import keys
from cis.repository.customers import CustomerRepository, unavailable
from cis.repository.items import from_attributes, to_attributes
from cis.repository.merges import Change, MergeRepository


def _moved(item: dict, loser_id: str, survivor_id: str) -> dict:
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


class MergeService:
    def __init__(
        self,
        repository: MergeRepository,
        customers: CustomerRepository,
        clock: Callable[[], datetime],
        new_id: Callable[[], str] = lambda: str(ULID()),
    ):
        self.repository, self.customers, self.clock, self.new_id = repository, customers, clock, new_id

    def _profile(self, customer_id: str) -> dict:
        """The stored profile, if it can take part in a merge now."""
        profile = self.repository.item(keys.customer_key(customer_id))
        problem = unavailable(customer_id, profile)
        if problem:
            raise problem
        return from_attributes(profile)

    def merge(self, survivor_id: str, request: MergeRequest, actor: str) -> MergeLog:
        if survivor_id in request.merge_ids:
            problem = FieldProblem("merge_ids", f"lists the survivor {survivor_id}")
            raise InvalidRequest("a customer cannot be merged into itself", [problem])
        survivor = self._profile(survivor_id)
        if survivor.get("status") != "active":
            raise Conflict(f"customer {survivor_id} is archived: restore it or merge into another", code="archived")
        losers, missing = [], []
        for index, loser_id in enumerate(request.merge_ids):
            try:
                losers.append(self._profile(loser_id))
            except NotFound:
                missing.append(FieldProblem(f"merge_ids[{index}]", f"no customer {loser_id}"))
        if missing:  # the survivor in the path exists: an unknown id in the body is a bad field, not a 404
            raise Unprocessable(missing)
        survivor_fields(survivor, losers, request.fields)  # refuse an invalid result before locking anyone

        now, merge_id = self.clock(), self.new_id()
        log = {
            "merge_id": merge_id,
            "survivor_id": survivor_id,
            "merged_ids": list(request.merge_ids),
            "status": "in_progress",
            "merged_at": now.isoformat(),
            "merged_by": actor,
        }
        versions = {record["id"]: record["version"] for record in [survivor, *losers]}
        # Locked from here: no write reaches these customers until the merge is applied or released.
        self.repository.lock(merge_id, versions, log, status_from=None)
        try:
            changes, left_in_place = self._plan(merge_id, survivor_id, request, actor, now)
            self.repository.save_plan(merge_id, changes)
        except Exception:
            locked = [self.repository.item(keys.customer_key(customer_id)) for customer_id in versions]
            self.repository.release(merge_id, locked, "in_progress", "failed")
            raise
        done = {"items_changed": len(changes), "left_in_place": left_in_place}
        self.repository.apply(merge_id, changes, "in_progress", "done", on_failure="failed", values=done)
        return MergeLog.model_validate(log | done | {"status": "done"})

    def _plan(
        self, merge_id: str, survivor_id: str, request: MergeRequest, actor: str, now: datetime
    ) -> tuple[list[Change], list[str]]:
        """Every item change of the merge, from a consistent read of the locked customers."""
        partitions = {
            customer_id: self.repository.items_of(customer_id) for customer_id in [survivor_id, *request.merge_ids]
        }
        profiles = {
            customer_id: _unlocked(next(item for item in items if item["SK"]["S"] == keys.PROFILE))
            for customer_id, items in partitions.items()
        }
        everyone = [from_attributes(profile) for profile in profiles.values()]
        survivor, losers = everyone[0], everyone[1:]
        involved = set(partitions)
        apart = sorted({other for record in everyone for other in record.get("distinct_from") or []} - involved)
        after = {name: value for name, value in survivor.items() if name not in CustomerFields.model_fields}
        after |= survivor_fields(survivor, losers, request.fields) | {
            "engagement": combined_engagement(everyone),
            "consents": combined_consents(everyone),
            "subscriptions": combined_subscriptions(survivor_id, everyone),
            "version": survivor["version"] + 1,
            "updated_at": now.isoformat(),
            "updated_by": actor,
        }
        after.pop("distinct_from", None)
        if apart:
            after["distinct_from"] = apart
        changes = [Change(profiles[survivor_id], to_attributes(after))]

        survivor_items = partitions.pop(survivor_id)
        taken = {(item["PK"]["S"], item["SK"]["S"]) for item in survivor_items}
        left_in_place = []
        for loser_id, items in partitions.items():
            # The merged-away profile stays, pointing to the survivor: its items stay with it (undo
            # needs nothing back, and the stream announces nothing twice); the survivor gets copies.
            pointer = {"merged_into": {"S": survivor_id}, "merged_by_merge": {"S": merge_id}}
            pointer["GSI1PK"] = {"S": keys.list_partition("merged")}
            unlisted = {name: value for name, value in profiles[loser_id].items() if name not in ("GSI2PK", "GSI2SK")}
            changes.append(Change(profiles[loser_id], unlisted | pointer))  # and off the churn list
            for item in items:
                sort_key = item["SK"]["S"]
                if sort_key.startswith("TAG#"):
                    changes.append(Change(item, None))  # tag lists show the survivor, under its tags
                elif sort_key.startswith(keys.REMINDER_PREFIX):
                    # Moved, not copied: the due index must name each reminder once, under the survivor.
                    changes += [Change(item, None), Change(None, _moved(item, loser_id, survivor_id))]
                elif not sort_key.startswith(keys.NOT_COPIED_ON_MERGE):
                    copy = _moved(item, loser_id, survivor_id) | {"merged_from": {"S": loser_id}}
                    if (copy["PK"]["S"], copy["SK"]["S"]) in taken:  # e.g. one order recorded on both
                        left_in_place.append(f"{loser_id}:{sort_key}")
                        continue
                    changes.append(Change(None, copy))
        changes += self._tag_changes(after, survivor_items)
        changes += self._lookup_changes(everyone, after, survivor_id)
        return changes, left_in_place

    def _tag_changes(self, after: dict, survivor_items: list[dict]) -> list[Change]:
        customer = Customer.model_validate(after)
        stored = {item["SK"]["S"]: item for item in survivor_items if item["SK"]["S"].startswith("TAG#")}
        changes = [Change(stored.get(f"TAG#{tag}"), self.customers.tag_copy(customer, tag)) for tag in customer.tags]
        return changes + [Change(item, None) for key, item in stored.items() if key[4:] not in customer.tags]

    def _lookup_changes(self, everyone: list[dict], after: dict, survivor_id: str) -> list[Change]:
        """Every unique key any of them held: now the survivor's, or freed when the merge dropped it."""
        kept = {(key.kind, key.value) for key in unique_keys(CustomerFields.model_validate(_client_fields(after)))}
        held = {
            (key.kind, key.value)
            for record in everyone
            for key in unique_keys(CustomerFields.model_validate(_client_fields(record)))
        }
        lookups = self.customers.lookup_items([keys.lookup_key(kind, value) for kind, value in sorted(held)])
        changes = []
        for item in lookups:
            value = from_attributes(item)
            kind, normalized = value["kind"], item["PK"]["S"].split("#", 2)[2]
            if (kind, normalized) not in kept:
                changes.append(Change(item, None))
            elif value["customer_id"] != survivor_id:
                changes.append(Change(item, item | {"customer_id": {"S": survivor_id}}))
        return changes

    def undo(self, merge_id: str, actor: str) -> MergeLog:
        """Put every item back as it was before the merge, if the survivor has not changed since."""
        log, changes = self.repository.log(merge_id)
        if log["status"] != "done":
            raise Conflict(f"merge {merge_id} is {log['status']}: only a completed merge can be undone", code="state")
        survivor_change = next(change for change in changes if change.key == keys.customer_key(log["survivor_id"]))
        now = self.clock()
        undoing = {"status": "undoing", "undone_at": now.isoformat(), "undone_by": actor}
        versions = {log["survivor_id"]: int(survivor_change.after["version"]["N"])}
        versions |= {loser_id: self._profile_version(loser_id) for loser_id in log["merged_ids"]}
        try:
            self.repository.lock(merge_id, versions, undoing, status_from="done")
        except Conflict as conflict:
            raise _changed_since(log["survivor_id"]) from conflict
        current = self.repository.item(survivor_change.key)
        if _unlocked(current) != survivor_change.after:  # an interaction or consent since: not in the version
            locked = [self.repository.item(keys.customer_key(customer_id)) for customer_id in versions]
            self.repository.release(merge_id, locked, "undoing", "done")
            raise _changed_since(log["survivor_id"])
        inverse = [change.inverse() for change in changes]
        self.repository.apply(merge_id, inverse, "undoing", "undone", on_failure="done")
        return MergeLog.model_validate(log | undoing | {"status": "undone"})

    def _profile_version(self, customer_id: str) -> int:
        return int(self.repository.item(keys.customer_key(customer_id))["version"]["N"])

    def get(self, merge_id: str) -> MergeLog:
        log, _ = self.repository.log(merge_id)
        return MergeLog.model_validate(log)


def _client_fields(record: dict) -> dict:
    return {name: record[name] for name in CustomerFields.model_fields if name in record}


def _unlocked(profile: dict) -> dict:
    """A profile image without the merge lock: what it was, and what undo restores."""
    return {name: value for name, value in profile.items() if name != "merge_lock"}


def _changed_since(survivor_id: str) -> Conflict:
    return Conflict(
        f"customer {survivor_id} changed after the merge; undo puts every record back exactly as it was, "
        "which would lose that change: undo that change first, or correct the records by hand",
        code="changed_since_merge",
    )
