"""A split as item changes: the chosen items move from one customer's partition to another's, and
both profiles, their tag copies and the moved contacts' lookups follow. Applied by the merge
protocol (cis.repository.merges): both customers locked, the plan kept, transactions reversed on
failure.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from cis.domain.customer import Customer, CustomerCreate, CustomerFields
from cis.domain.engagement import WEEKLY
from cis.domain.problems import field_problems
from cis.domain.splitting import SplitRequest, with_entries, without_entries
from cis.errors import FieldProblem, Unprocessable
from cis.repository import keys
from cis.repository.items import from_attributes, to_attributes
from cis.repository.merge_plans import TABLE_ATTRIBUTES, Change, Partitions, held_keys, moved_item, tag_changes


def _primary_first(items: list[dict]) -> list[dict]:
    """One primary: the first item, when the moved ones took it away."""
    if items and not any(item.get("primary") for item in items):
        items = [items[0] | {"primary": True}, *items[1:]]
    return items


def valid_record(record: dict, who: str) -> None:
    """Refuse (422, each problem under `who`) a record the change would leave invalid."""
    fields = {name: record[name] for name in CustomerFields.model_fields if name in record}
    try:
        CustomerCreate.model_validate(fields)
    except ValidationError as error:
        raise Unprocessable(
            [FieldProblem(f"{who}.{problem.path}", problem.problem) for problem in field_problems(error.errors())]
        ) from error


def split_changes(
    partitions: Partitions,
    source_id: str,
    target: dict,
    created: bool,
    request: SplitRequest,
    stamps: dict,
    tag_copy: Callable[[Customer, str], dict],
    lookup_of: Callable[[list[tuple[str, str]]], list[dict]],
    new_profile_item: Callable[[Customer], dict],
) -> list[Change]:
    """Every item change of the split. `target` is the receiving customer's record (plain values) as
    stored, or as it will be first stored when `created`."""
    target_id = target["id"]
    items = {item["SK"]["S"]: item for item in partitions.items[source_id]}
    taken = {item["SK"]["S"] for item in partitions.items.get(target_id, [])}
    source = partitions.records[0]
    problems: list[FieldProblem] = []
    chosen: list[str] = []

    for index, entry_id in enumerate(request.interaction_ids):
        if f"{keys.ENTRY_PREFIX}{entry_id}" not in items:
            problems.append(FieldProblem(f"interaction_ids[{index}]", f"no timeline entry {entry_id} on {source_id}"))
        chosen.append(f"{keys.ENTRY_PREFIX}{entry_id}")
    moved_ids = set(request.interaction_ids)
    chosen += [
        key
        for key, item in items.items()
        if key.startswith("ORDER#") and item.get("interaction_id", {}).get("S") in moved_ids
    ]
    for index, subscription_id in enumerate(request.subscription_ids):
        if f"SUB#{subscription_id}" not in items:
            problems.append(FieldProblem(f"subscription_ids[{index}]", f"no subscription {subscription_id}"))
        chosen += [key for key in items if key.startswith((f"SUB#{subscription_id}", f"REMIND#{subscription_id}#"))]
    source_consents = source.get("consents") or {}
    target_consents = target.get("consents") or {}
    for index, consent in enumerate(request.consents):
        if consent not in source_consents:
            problems.append(FieldProblem(f"consents[{index}]", f"{source_id} has no decision for {consent}"))
        elif consent in target_consents:
            problems.append(FieldProblem(f"consents[{index}]", f"{target_id} has its own decision for {consent}"))
        channel, purpose = consent.split(":")
        chosen += [key for key in items if key.startswith(f"CONSENT#{channel}#{purpose}#")]
    emails = [e for e in source.get("emails") or [] if e["address"] in request.emails]
    phones = [p for p in source.get("phones") or [] if p["number"] in request.phones]
    found = {e["address"] for e in emails} | {p["number"] for p in phones}
    problems += [
        FieldProblem(f"{name}[{index}]", f"{source_id} has no {value}")
        for name in ("emails", "phones")
        for index, value in enumerate(getattr(request, name))
        if value not in found
    ]
    chosen = [key for key in dict.fromkeys(chosen) if key in items]
    problems += [FieldProblem("body", f"{target_id} already has {key}") for key in chosen if key in taken]
    if problems:
        raise Unprocessable(problems)

    changes: list[Change] = []
    for key in chosen:
        changes += [Change(items[key], None), Change(None, moved_item(items[key], source_id, target_id))]

    entries = [from_attributes(item) for key, item in items.items() if key.startswith(keys.ENTRY_PREFIX)]
    moved = [entry for entry in entries if entry["id"] in moved_ids]
    kept = [entry for entry in entries if entry["id"] not in moved_ids]
    moved_subscriptions = {
        sid: state | {"customer_id": target_id}
        for sid, state in (source.get("subscriptions") or {}).items()
        if sid in request.subscription_ids
    }

    source_after = source | stamps | {"version": source["version"] + 1}
    source_after["emails"] = _primary_first([e for e in source_after.get("emails") or [] if e not in emails])
    source_after["phones"] = _primary_first([p for p in source_after.get("phones") or [] if p not in phones])
    source_after["consents"] = {k: v for k, v in source_consents.items() if k not in request.consents}
    source_after["subscriptions"] = {
        sid: state for sid, state in (source.get("subscriptions") or {}).items() if sid not in moved_subscriptions
    }
    source_after["engagement"] = without_entries(source.get("engagement") or {}, moved, kept)
    valid_record(source_after, "source")

    target_after = dict(target)
    if not created:
        target_after |= stamps | {"version": target["version"] + 1}
    own_emails, own_phones = target.get("emails") or [], target.get("phones") or []
    target_after["emails"] = own_emails + [e | {"primary": not own_emails and i == 0} for i, e in enumerate(emails)]
    target_after["phones"] = own_phones + [p | {"primary": not own_phones and i == 0} for i, p in enumerate(phones)]
    target_after["consents"] = target_consents | {k: source_consents[k] for k in request.consents}
    target_after["subscriptions"] = (target.get("subscriptions") or {}) | moved_subscriptions
    target_after["engagement"] = with_entries(target.get("engagement") or {}, moved)
    valid_record(target_after, "customer" if created else "into")

    source_item = partitions.profile_item(source_id)
    own = {name: value for name, value in source_item.items() if name in TABLE_ATTRIBUTES}
    changes.append(Change(source_item, own | to_attributes(source_after)))
    changes += tag_changes(partitions, source_id, source_after, tag_copy)
    customer = Customer.model_validate(target_after)
    if created:
        kept = {name: target_after[name] for name in ("consents", "subscriptions")}
        kept["engagement"] = {"lifetime_value": {}} | {name: {} for name in WEEKLY} | target_after["engagement"]
        changes.append(Change(None, new_profile_item(customer) | to_attributes(kept)))
        changes += [Change(None, tag_copy(customer, tag)) for tag in customer.tags]
    else:
        target_item = partitions.profile_item(target_id)
        own = {name: value for name, value in target_item.items() if name in TABLE_ATTRIBUTES}
        changes.append(Change(target_item, own | to_attributes(target_after)))
        changes += tag_changes(partitions, target_id, target_after, tag_copy)

    moving = held_keys([source]) - held_keys([source_after])
    arriving = held_keys([target_after]) - held_keys([target]) if not created else held_keys([target_after])
    stored = {}
    for item in lookup_of(sorted(moving | arriving)):
        stored[keys.held_by(item)] = item
    for key in sorted(arriving):
        item = stored.get(key)
        if key in moving and item is not None:
            changes.append(Change(item, item | {"customer_id": {"S": target_id}}))
        elif item is not None:
            raise Unprocessable([FieldProblem("customer", f"{key[0]} {key[1]} already belongs to another customer")])
        else:
            changes.append(Change(None, keys.lookup_item(*key, target_id)))
    return changes
