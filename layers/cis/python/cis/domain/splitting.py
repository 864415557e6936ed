"""Splitting a wrongly merged customer: a person chooses what belongs to someone else (timeline
entries, subscriptions, consent decisions, emails and phones) and it moves to a new or existing
customer. What the moved entries counted moves with them: the engagement of both records is
worked out again from the entries themselves.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, model_validator

from cis.domain.contact import Strict
from cis.domain.customer import CustomerCreate
from cis.domain.engagement import EngagementChange
from cis.domain.ids import CUSTOMER_ID_PATTERN
from cis.domain.model import Model, empty_list
from cis.domain.moments import timestamp

CustomerIdValue = Annotated[str, Field(pattern=CUSTOMER_ID_PATTERN)]
MAX_MOVED = 100  # ids per list: a person picks them one by one


class SplitRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer": {"given_name": "Augusta", "family_name": "King"},
                    "interaction_ids": ["01JD7Y0Q3J8M5S0W4V7G2K9Z1A"],
                    "emails": ["countess@example.org"],
                }
            ]
        }
    )

    into: CustomerIdValue | None = Field(default=None, description="An existing customer to move them to")
    customer: CustomerCreate | None = Field(
        default=None, description="Or a new customer, with these fields (the moved emails and phones join them)"
    )
    interaction_ids: list[str] = Field(default_factory=empty_list, max_length=MAX_MOVED, description="Timeline entries")
    subscription_ids: list[str] = Field(default_factory=empty_list, max_length=MAX_MOVED)
    consents: list[Annotated[str, Field(pattern=r"^[a-z_]+:[a-z_]+$")]] = Field(
        default_factory=empty_list, max_length=MAX_MOVED, description="channel:purpose: the decision and its history"
    )
    emails: list[str] = Field(default_factory=empty_list, max_length=MAX_MOVED, description="Addresses, as stored")
    phones: list[str] = Field(
        default_factory=empty_list, max_length=MAX_MOVED, description="Numbers in E.164, as stored"
    )

    @model_validator(mode="after")
    def _complete(self) -> SplitRequest:
        if (self.into is None) == (self.customer is None):
            raise ValueError("give either `into` (an existing customer) or `customer` (a new one)")
        if not (self.interaction_ids or self.subscription_ids or self.consents or self.emails or self.phones):
            raise ValueError("choose something to move")
        return self


class SplitResult(Model):
    split_id: str
    source_id: str = Field(description="The customer the chosen things were taken from")
    customer_id: str = Field(description="The customer they moved to")
    created: bool = Field(description="True when that customer was made by the split")
    items_moved: int


def _changes(entries: list[dict]) -> list[tuple[str, EngagementChange]]:
    """(occurred_at as stored, what the entry counts) of each interaction entry."""
    # Loaded by a split only: the data quality function's other routes never read interactions.
    from cis.domain.interactions import Activity, Feedback, Note, Order, Ticket, engagement_change

    models = {"order": Order, "ticket": Ticket, "feedback": Feedback, "note": Note, "activity": Activity}
    found = []
    for entry in entries:
        model = models.get(entry.get("type"))
        if model is not None:
            fields = {name: value for name, value in entry.items() if name in model.model_fields}
            interaction = model.model_validate(fields)
            occurred = datetime.fromisoformat(entry["occurred_at"].replace("Z", "+00:00"))
            found.append((timestamp(occurred), engagement_change(interaction, occurred)))
    return found


def _add(engagement: dict, path: str, amount: Any) -> None:
    *parents, name = path.split(".")
    place = engagement
    for parent in parents:
        place = place.setdefault(parent, {})
    total = Decimal(str(place.get(name, 0))) + Decimal(str(amount))
    total = int(total) if total == total.to_integral_value() else total
    if total == 0 and parents:
        place.pop(name, None)
    else:
        place[name] = total


def with_entries(engagement: dict, entries: list[dict]) -> dict:
    """The engagement with what these entries count added (counts, latest times, first seen)."""
    result = {name: dict(value) if isinstance(value, dict) else value for name, value in engagement.items()}
    for at, change in _changes(entries):
        for path, amount in change.increments.items():
            _add(result, path, amount)
        for name in change.latest:
            result[name] = max(filter(None, [result.get(name), at]))
        if change.latest:
            result["first_seen_at"] = min(filter(None, [result.get("first_seen_at"), at]))
        result |= change.sets
    return result


def without_entries(engagement: dict, moved: list[dict], kept: list[dict]) -> dict:
    """The engagement with what the moved entries counted taken out; a latest time one of them set
    is found again among the entries kept (gone when none sets it)."""
    result = {name: dict(value) if isinstance(value, dict) else value for name, value in engagement.items()}
    moved_changes, kept_changes = _changes(moved), _changes(kept)
    for _, change in moved_changes:
        for path, amount in change.increments.items():
            _add(result, path, -Decimal(str(amount)))
    touched = {name for _, change in moved_changes for name in change.latest}
    for name in touched:
        times = [at for at, change in kept_changes if name in change.latest]
        if max(times, default="") < (result.get(name) or ""):
            result.pop(name, None)
            if times:
                result[name] = max(times)
    if touched and "first_seen_at" in result:
        times = [at for at, change in kept_changes if change.latest]
        moved_first = min(at for at, change in moved_changes if change.latest) if touched else None
        if moved_first is not None and moved_first <= result["first_seen_at"]:
            result.pop("first_seen_at")
            if times:
                result["first_seen_at"] = min(times)
    return result
