"""Merging customers: which value survives for each field, and what the combined record knows.

Pure functions over stored profiles (plain JSON); the merge service turns the result into item
writes. Defaults follow what people expect of a merge: the survivor's value where it has one,
another record's where it has none; contact points, tags and ids are combined; engagement adds
up; for consent the most restrictive decision wins.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator

from cis.domain.contact import Strict
from cis.domain.customer import FIELD_TRAITS, CustomerCreate, CustomerFields
from cis.domain.engagement import WEEKLY
from cis.domain.ids import CUSTOMER_ID_PATTERN
from cis.domain.model import Model, empty_list
from cis.domain.unmerging import LeftForReview
from cis.errors import FieldProblem, InvalidRequest

MAX_MERGED = 10  # customers merged into one survivor at once
# Derived from CustomerFields: a new field combines by its kind and can take a rule, with no edit here.
LIST_ITEM_IDENTITY = {name: traits.item_identity for name, traits in FIELD_TRAITS.items() if traits.kind == "list"}
MAPS = frozenset(name for name, traits in FIELD_TRAITS.items() if traits.kind == "map")
MergeableField = Literal[tuple(FIELD_TRAITS)]
CustomerIdValue = Annotated[str, Field(pattern=CUSTOMER_ID_PATTERN)]


class FieldRule(Strict):
    """How one field of the survivor is chosen."""

    rule: Literal["combine", "survivor", "most_recent", "from", "value"] = Field(
        description=(
            "combine: survivor's value, then the others' (lists, ids and attributes are joined); "
            "survivor: only the survivor's; most_recent: from the record changed last that has one; "
            "from: from customer_id; value: exactly `value`"
        )
    )
    customer_id: CustomerIdValue | None = Field(default=None, description="With rule=from")
    value: Any = Field(default=None, description="With rule=value; null removes the field")

    @model_validator(mode="after")
    def _complete(self) -> FieldRule:
        if self.rule == "from" and not self.customer_id:
            raise ValueError("rule `from` needs customer_id: the customer to take the value from")
        if self.rule != "from" and self.customer_id:
            raise ValueError("customer_id goes only with rule `from`")
        if self.rule != "value" and "value" in self.model_fields_set:
            raise ValueError("value goes only with rule `value`")
        return self


class MergeRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"merge_ids": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]}]})

    merge_ids: list[CustomerIdValue] = Field(
        min_length=1, max_length=MAX_MERGED, description="Customers to merge into this one; they end up pointing to it"
    )
    fields: dict[MergeableField, FieldRule] = Field(
        default_factory=dict, description="Survivorship per field; fields not named use `combine`"
    )

    @model_validator(mode="after")
    def _distinct(self) -> MergeRequest:
        if len(set(self.merge_ids)) != len(self.merge_ids):
            raise ValueError("merge_ids lists a customer twice")
        return self


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def _combine(name: str, values: list[Any]) -> Any:
    present = [value for value in values if _filled(value)]
    if not present:
        return None
    if name in LIST_ITEM_IDENTITY:  # the survivor's items first, keeping its primary; the others' join as non-primary
        identity, seen, joined = LIST_ITEM_IDENTITY[name], set(), []
        for position, value in enumerate(present):
            for item in value:
                if identity(item) in seen:
                    continue
                seen.add(identity(item))
                demote = position and isinstance(item, dict) and "primary" in item
                joined.append(item | {"primary": False} if demote else item)
        return joined
    if name in MAPS:
        combined: dict = {}
        for value in reversed(present):  # earlier records win: the survivor first
            combined |= value
        return combined
    return present[0]


def survivor_fields(survivor: dict, others: list[dict], rules: dict[str, FieldRule]) -> dict:
    """The survivor's client fields after the merge, validated like a create (same messages)."""
    records = {record["id"]: record for record in [survivor, *others]}
    by_recency = sorted(records.values(), key=lambda record: record["updated_at"], reverse=True)
    result: dict[str, Any] = {}
    for name in CustomerFields.model_fields:
        rule = rules.get(name, FieldRule(rule="combine"))
        if rule.rule == "combine":
            value = _combine(name, [record.get(name) for record in records.values()])
        elif rule.rule == "survivor":
            value = survivor.get(name)
        elif rule.rule == "most_recent":
            value = next((record[name] for record in by_recency if _filled(record.get(name))), None)
        elif rule.rule == "from":
            if rule.customer_id not in records:
                raise InvalidRequest(
                    f"fields.{name}.customer_id must be the survivor or one of merge_ids",
                    [FieldProblem(f"fields.{name}.customer_id", "not part of this merge")],
                )
            value = records[rule.customer_id].get(name)
        else:
            value = rule.value
        if _filled(value):
            result[name] = value
    try:
        return CustomerCreate.model_validate(result).model_dump(mode="json", exclude_none=True)
    except ValidationError as error:
        problems = [
            FieldProblem(".".join(str(part) for part in problem["loc"]) or "fields", problem["msg"])
            for problem in error.errors()
        ]
        raise InvalidRequest(
            "the merged customer would not be valid: choose values with `fields` rules",
            problems,
        ) from error


def combined_engagement(records: list[dict]) -> dict:
    """Counts and values add up; first and last moments are the earliest and the latest."""
    engagements = [record.get("engagement") or {} for record in records]
    result: dict[str, Any] = {"lifetime_value": {}} | {name: {} for name in WEEKLY}
    for engagement in engagements:
        for name, value in engagement.items():
            if name == "lifetime_value" or name in WEEKLY:  # per currency, per week: add up by key
                for key, amount in value.items():
                    result[name][key] = Decimal(str(result[name].get(key, 0))) + Decimal(str(amount))
            elif name == "first_seen_at":
                result[name] = min(filter(None, [result.get(name), value]), default=None)
            elif name.startswith("last_") and name.endswith("_at"):
                result[name] = max(filter(None, [result.get(name), value]), default=None)
            elif name in ("last_nps", "last_rating"):
                result.setdefault(name, value)  # the survivor's (first) answer stands
            elif isinstance(value, int | Decimal):
                result[name] = result.get(name, 0) + value
    return {name: value for name, value in result.items() if value is not None}


_RESTRICTIVE = {"denied": 2, "withdrawn": 2, "granted": 1}


def combined_consents(records: list[dict]) -> dict:
    """Per channel and purpose, a refusal anywhere wins over a grant; among equals, the latest."""
    result: dict[str, dict] = {}
    for record in records:
        for key, state in (record.get("consents") or {}).items():
            current = result.get(key)
            rank = (_RESTRICTIVE.get(state["status"], 0), _moment(state["captured_at"]))
            if current is None or rank > (_RESTRICTIVE.get(current["status"], 0), _moment(current["captured_at"])):
                result[key] = state
    return result


def combined_subscriptions(survivor_id: str, records: list[dict]) -> dict:
    """Everyone's subscriptions, now the survivor's; those that came over name where from."""
    result: dict[str, dict] = {}
    for record in records:
        for subscription_id, subscription in (record.get("subscriptions") or {}).items():
            if record["id"] != survivor_id:
                subscription = subscription | {"customer_id": survivor_id, "merged_from": record["id"]}
            result[subscription_id] = subscription
    return result


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class MergeLog(Model):
    """One merge, as kept in the merge log: enough to see what happened and to undo it."""

    merge_id: str
    kind: Literal["merge", "split"] = Field(
        default="merge", description="split: survivor_id is the customer split, merged_ids the one that received"
    )
    survivor_id: str
    merged_ids: list[str]
    status: Literal["in_progress", "done", "failed", "undoing", "undone"]
    merged_at: datetime
    merged_by: str
    undone_at: datetime | None = None
    undone_by: str | None = None
    items_changed: int = Field(description="Items the merge wrote or removed, each kept before and after")
    left_in_place: list[str] = Field(
        default_factory=empty_list,
        description="Items the survivor already had (such as one order on both), left with the merged id as they were",
    )
    left_for_review: list[LeftForReview] = Field(
        default_factory=empty_list,
        description=(
            "After an undo: what it could not put back by itself, field by field (a value the merge set that was "
            "edited since, an item changed on the survivor since): kept as it is now, for a person to correct"
        ),
    )
