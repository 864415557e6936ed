"""Merge customers into a survivor, and undo a merge: which record survives, with which values;
the repository plans and applies the item changes that follow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ulid import ULID

from cis.domain.customer import Customer, CustomerFields
from cis.domain.merging import (
    MergeLog,
    MergeRequest,
    combined_consents,
    combined_engagement,
    combined_subscriptions,
    survivor_fields,
)
from cis.domain.splitting import SplitRequest, SplitResult
from cis.errors import Conflict, FieldProblem, InvalidRequest, Merged, NotFound, Unprocessable
from cis.repository.merges import MergeRepository


class MergeService:
    def __init__(
        self,
        repository: MergeRepository,
        clock: Callable[[], datetime],
        new_id: Callable[[], str] = lambda: str(ULID()),
    ):
        self.repository, self.clock, self.new_id = repository, clock, new_id

    def merge(self, survivor_id: str, request: MergeRequest, actor: str) -> MergeLog:
        if survivor_id in request.merge_ids:
            problem = FieldProblem("merge_ids", f"lists the survivor {survivor_id}")
            raise InvalidRequest("a customer cannot be merged into itself", [problem])
        survivor = self.repository.mergeable(survivor_id)
        if survivor.get("status") != "active":
            raise Conflict(f"customer {survivor_id} is archived: restore it or merge into another", code="archived")
        losers, missing = [], []
        for index, loser_id in enumerate(request.merge_ids):
            try:
                losers.append(self.repository.mergeable(loser_id))
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
            partitions = self.repository.read_locked([survivor_id, *request.merge_ids])
            merged = _merged_record(partitions.records, request, actor, now)
            plan = self.repository.plan(merge_id, partitions, merged)
            self.repository.save_plan(merge_id, plan)
        except Exception:
            self.repository.release(merge_id, list(versions), "in_progress", "failed")
            raise
        done = {"items_changed": len(plan.changes), "left_in_place": plan.left_in_place}
        self.repository.apply(merge_id, plan, "in_progress", "done", on_failure="failed", values=done)
        return MergeLog.model_validate(log | done | {"status": "done"})

    def undo(self, merge_id: str, actor: str) -> MergeLog:
        """Take the merge out again: what came from the merged-away customers goes back to them, what
        was written to the survivor since stays; what cannot go back by itself is listed for review.

        The same protocol as the merge: lock every customer at the version read (a write that lands
        first fails the lock: 409, retry), plan from what is stored while locked, apply."""
        log, plan = self.repository.log(merge_id)
        if log.get("kind") == "split":
            raise Conflict(f"{merge_id} is a split: split the other way to undo it", code="state")
        if log["status"] != "done":
            raise Conflict(f"merge {merge_id} is {log['status']}: only a completed merge can be undone", code="state")
        survivor_id = log["survivor_id"]
        try:
            survivor = self.repository.mergeable(survivor_id)
        except Merged as merged:
            raise Conflict(
                f"customer {survivor_id} was merged into {merged.survivor_id} since: "
                f"undo merge {merged.merge_id} first",
                code="merged_since",
            ) from merged
        now = self.clock()
        undoing = {"status": "undoing", "undone_at": now.isoformat(), "undone_by": actor}
        versions = {survivor_id: survivor["version"]}
        versions |= {loser_id: self.repository.version(loser_id) for loser_id in log["merged_ids"]}
        self.repository.lock(merge_id, versions, undoing, status_from="done")
        try:
            partitions = self.repository.read_locked([survivor_id, *log["merged_ids"]])
            stamps = {"updated_at": now.isoformat(), "updated_by": actor}
            undo_plan, review = self.repository.plan_undo(plan, partitions, stamps)
            self.repository.save_plan(merge_id, undo_plan, prefix="UNDO#")
        except Exception:
            self.repository.release(merge_id, list(versions), "undoing", "done")
            raise
        values = {"left_for_review": [item.model_dump(mode="json") for item in review]}
        self.repository.apply(merge_id, undo_plan, "undoing", "undone", on_failure="done", values=values)
        return MergeLog.model_validate(log | undoing | values | {"status": "undone"})

    def split(self, source_id: str, request: SplitRequest, actor: str) -> SplitResult:
        """Move what a person chose (entries, subscriptions, consent decisions, emails, phones) from a
        customer to a new or an existing one: the merge's protocol, with both customers locked."""
        if request.into == source_id:
            raise InvalidRequest("a customer cannot be split into itself", [FieldProblem("into", "is the source")])
        source = self.repository.mergeable(source_id)
        versions = {source_id: source["version"]}
        now, split_id = self.clock(), self.new_id()
        stamps = {"updated_at": now.isoformat(), "updated_by": actor}
        if request.into:
            try:
                versions[request.into] = self.repository.mergeable(request.into)["version"]
            except NotFound:
                raise Unprocessable([FieldProblem("into", f"no customer {request.into}")]) from None
            target_id = request.into
        else:
            target_id = self.new_id()
        log = {
            "merge_id": split_id,
            "kind": "split",
            "survivor_id": source_id,
            "merged_ids": [target_id],
            "status": "in_progress",
            "merged_at": now.isoformat(),
            "merged_by": actor,
        }
        self.repository.lock(split_id, versions, log, status_from=None)
        try:
            partitions = self.repository.read_locked(list(versions))
            if request.into:
                target, created = partitions.records[1], False
            else:
                target, created = Customer.new(request.customer, target_id, actor, now), True
                target = target.model_dump(mode="json", exclude_none=True)
            plan = self.repository.plan_split(partitions, source_id, target, created, request, stamps)
            self.repository.save_plan(split_id, plan)
        except Exception:
            self.repository.release(split_id, list(versions), "in_progress", "failed")
            raise
        moved = sum(1 for change in plan.changes if change.after is None)
        self.repository.apply(
            split_id, plan, "in_progress", "done", on_failure="failed", values={"items_changed": len(plan.changes)}
        )
        return SplitResult(
            split_id=split_id, source_id=source_id, customer_id=target_id, created=created, items_moved=moved
        )

    def get(self, merge_id: str) -> MergeLog:
        log, _ = self.repository.log(merge_id)
        return MergeLog.model_validate(log)


def _merged_record(records: list[dict], request: MergeRequest, actor: str, now: datetime) -> dict:
    """The survivor's record after the merge (the survivor first of `records`, read while locked)."""
    survivor, losers = records[0], records[1:]
    involved = {record["id"] for record in records}
    apart = sorted({other for record in records for other in record.get("distinct_from") or []} - involved)
    merged = {name: value for name, value in survivor.items() if name not in CustomerFields.model_fields}
    merged |= survivor_fields(survivor, losers, request.fields) | {
        "engagement": combined_engagement(records),
        "consents": combined_consents(records),
        "subscriptions": combined_subscriptions(survivor["id"], records),
        "version": survivor["version"] + 1,
        "updated_at": now.isoformat(),
        "updated_by": actor,
    }
    merged.pop("distinct_from", None)
    if apart:
        merged["distinct_from"] = apart
    return merged
