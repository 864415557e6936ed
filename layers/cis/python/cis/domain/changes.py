"""What a committed write means to the rest of the business: domain events and audit entries.

Input is a change to one stored item (its images before and after, as plain values); output is
the domain event other systems follow and the audit entry people read. No AWS here: the stream
processor feeds this from DynamoDB Streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from cis.domain.customer import CustomerFields
from cis.domain.events import DomainEvent
from cis.domain.model import Model
from cis.domain.subscriptions import SubscriptionFields

CLIENT_FIELDS = tuple(CustomerFields.model_fields)
SUBSCRIPTION_FIELDS = tuple(name for name in SubscriptionFields.model_fields if name != "started_at")


@dataclass(frozen=True)
class ItemChange:
    change_id: str  # unique per committed write (the stream record id): consumers de-duplicate on it
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _diff(before: dict, after: dict, names) -> dict[str, dict[str, Any]]:
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    }


def interpret(change: ItemChange) -> DomainEvent | None:
    """The event a committed item change stands for, or None when it is bookkeeping."""
    image = change.after or change.before or {}
    entity = image.get("entity")
    if entity == "customer":
        return _customer_event(change)
    if entity == "interaction":
        return _entry_event(change)
    if entity == "merge":
        return _merge_event(change)
    if entity == "subscription":
        return _subscription_event(change)
    return None  # lookup keys, order keys, consent log lines (their timeline entry speaks), audit, idempotency


def _customer_event(change: ItemChange) -> DomainEvent | None:
    before, after = change.before or {}, change.after or {}
    if not after:
        return None  # profiles are archived, never deleted
    base = {"event_id": change.change_id, "customer_id": after["id"]}
    if not before:
        fields = [name for name in CLIENT_FIELDS if after.get(name) not in (None, [], {})]
        return DomainEvent(
            "customer.created",
            occurred_at=after["created_at"],
            actor=after["created_by"],
            detail={"version": after["version"], "fields": fields},
            audit=_diff({}, after, fields),
            **base,
        )
    if before.get("version") == after.get("version"):
        return None  # engagement or consent bookkeeping: their own events tell it
    if after.get("status") == "erased":  # nothing of the person in the event or its audit entry
        return DomainEvent(
            "customer.erased",
            occurred_at=after["erased_at"],
            actor=after["erased_by"],
            detail={"version": after["version"], "legal_basis": after.get("legal_basis")},
            audit={},
            **base,
        )
    if before.get("status") != after.get("status"):
        kind = "customer.archived" if after.get("status") == "archived" else "customer.restored"
        audit = _diff(before, after, ["status"])
    else:
        kind, audit = "customer.updated", _diff(before, after, CLIENT_FIELDS)
    return DomainEvent(
        kind,
        occurred_at=after["updated_at"],
        actor=after["updated_by"],
        detail={"version": after["version"], "changed_fields": sorted(audit)},
        audit=audit,
        **base,
    )


def _entry_event(change: ItemChange) -> DomainEvent | None:
    before, after = change.before or {}, change.after or {}
    if not after or (not before and "merged_from" in after):
        return None  # removed, or the survivor's copy of a merged customer's entry: told by customer.merged
    base = {"event_id": change.change_id, "customer_id": after["customer_id"]}
    detail = {"interaction_id": after["id"], "interaction_type": after["type"]}
    if after["type"] == "consent":
        detail |= {name: after[name] for name in ("channel", "purpose", "status", "legal_basis")}
        audit = {f"consent {after['channel']}:{after['purpose']}": {"before": None, "after": after["status"]}}
        return DomainEvent(
            "consent.changed",
            occurred_at=after["occurred_at"],
            actor=after["recorded_by"],
            detail=detail,
            audit=audit,
            **base,
        )
    if not before:
        if after["type"] == "order":
            detail |= {"external_order_id": after["external_order_id"], "status": after["status"]}
        elif after["type"] == "ticket":
            detail |= {"status": after["status"], "priority": after["priority"]}
        elif after["type"] == "message":  # support's reply is for the customer to hear about
            detail |= {"ticket_id": after["ticket_id"], "author": after["author"]}
        elif after["type"] == "activity":
            detail |= _activity_detail(after)
        return DomainEvent(
            "ticket.replied" if after["type"] == "message" and after["author"] == "staff" else "interaction.recorded",
            occurred_at=after["recorded_at"],
            actor=after["recorded_by"],
            detail=detail,
            audit={f"interaction {after['type']}": {"before": None, "after": after["id"]}},
            **base,
        )
    audit = _diff(before, after, ["status", "assigned_team"])
    if not audit:
        return None
    return DomainEvent(
        "interaction.updated",
        occurred_at=after.get("updated_at", after["recorded_at"]),
        actor=after.get("updated_by", after["recorded_by"]),
        detail=detail | {"status": after.get("status")},
        audit=audit,
        **base,
    )


# What a consumer of shop activities needs (products, amounts, the step), never the page's URL, which
# can carry what the visitor typed.
ACTIVITY_DETAIL = ("activity", "channel", "product_id", "category", "price", "currency", "step")


def _activity_detail(entry: dict) -> dict:
    detail = {name: entry[name] for name in ACTIVITY_DETAIL if name in entry}
    if "price" in detail:
        detail["price"] = str(detail["price"])  # amounts travel as exact decimal text, as the API gives them
    if cart := entry.get("cart"):
        lines = [
            {"product_id": line["product_id"], "quantity": int(line["quantity"]), "price": str(line["price"])}
            for line in cart["lines"]
        ]
        value = sum((Decimal(line["price"]) * line["quantity"] for line in lines), Decimal(0))
        detail["cart"] = {"lines": lines, "currency": cart["currency"], "value": str(value)}
    return detail


def _subscription_event(change: ItemChange) -> DomainEvent | None:
    before, after = change.before or {}, change.after or {}
    if not after or (not before and "merged_from" in after) or before.get("version") == after.get("version"):
        return None  # a survivor's copy of a merged customer's subscription: told by customer.merged
    label = f"subscription {after['plan']}"
    detail = {name: after.get(name) for name in ("plan", "status", "renews_at", "auto_renew")}
    detail["subscription_id"] = after["id"]
    if not before:
        kind, audit = "subscription.created", {label: {"before": None, "after": after["id"]}}
    else:
        audit = {f"{label} {name}": diff for name, diff in _diff(before, after, SUBSCRIPTION_FIELDS).items()}
        if after["renews_at"] > before["renews_at"] and after["status"] == "active":
            kind = "subscription.renewed"
        elif after["status"] != before["status"] and after["status"] == "cancelled":
            kind = "subscription.cancelled"
        else:
            kind = "subscription.updated"
    return DomainEvent(
        kind,
        event_id=change.change_id,
        customer_id=after["customer_id"],
        occurred_at=after["updated_at"],
        actor=after["updated_by"],
        detail=detail,
        audit=audit,
    )


def _merge_event(change: ItemChange) -> DomainEvent | None:
    """A merge announces itself when it completes, and again when it is undone."""
    before, after = change.before or {}, change.after or {}
    if not after or before.get("status") == after["status"] or after["status"] not in ("done", "undone"):
        return None
    merged = after["merged_ids"]
    done = after["status"] == "done"
    return DomainEvent(
        "customer.merged" if done else "customer.unmerged",
        event_id=change.change_id,
        customer_id=after["survivor_id"],
        occurred_at=after["merged_at"] if done else after["undone_at"],
        actor=after["merged_by"] if done else after["undone_by"],
        detail={"merge_id": after["merge_id"], "merged_ids": merged},
        audit={"merged customers": {"before": None, "after": merged} if done else {"before": merged, "after": None}},
    )


class FieldChange(Model):
    field: str = Field(description="The field, or what changed: a consent's channel:purpose, merged customers")
    before: Any = Field(default=None, description="Its value before; null when it had none")
    after: Any = Field(default=None, description="Its value after; null when it was removed")


class AuditEntry(Model):
    change_id: str
    event: str
    actor: str
    at: datetime
    source: str
    changes: list[FieldChange] = Field(description="Each changed field with its value before and after")
    redacted: list[str] | None = Field(
        default=None, description="Changed fields whose values your role may not see: before and after are null"
    )


class AuditPage(Model):
    items: list[AuditEntry]
    next_cursor: str | None = None
