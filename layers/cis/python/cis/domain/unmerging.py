"""Undoing a merge after the survivor has moved on: what the survivor's record becomes.

A three-way comparison per value, over plain records: the survivor before the merge, as the
merge left it, and as it is now. A value the merge did not change, or that was written since,
is kept as it is now; a value the merge changed and nobody touched since goes back to what it
was. Counters are the exception that makes later activity survive: the merge added the merged
customers' counts, so undo takes those away and keeps whatever was counted since. Where the
merge changed a value and someone edited it since, the edit stays and the value is reported, so
that a person can decide (nothing is guessed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from cis.domain.customer import FIELD_TRAITS
from cis.domain.model import Model
from cis.errors import FieldProblem

# Kept by the writes themselves: the caller stamps a new version, time and author.
_STAMPS = frozenset({"version", "updated_at", "updated_by"})
_MISSING: Any = object()


class LeftForReview(Model):
    """Something undo could not put back by itself: where, and what a person should look at."""

    customer_id: str
    field: str = Field(description="The field or item, e.g. `given_name`, `timeline.<entry id>`")
    problem: str


def survivor_after_undo(
    before: dict, merged: dict, current: dict, staying: frozenset[str] = frozenset()
) -> tuple[dict, list[FieldProblem]]:
    """The survivor's record (without version stamps) once the merge is taken out of it, and the
    values that were edited since the merge changed them (kept as edited, reported).

    `staying`: ids of merged-in subscriptions that changed on the survivor since and so stay there."""
    result: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name in sorted((before.keys() | merged.keys() | current.keys()) - _STAMPS):
        was, then, now = before.get(name, _MISSING), merged.get(name, _MISSING), current.get(name, _MISSING)
        if name == "engagement":
            value = _counts(_or_empty(was), _or_empty(then), _or_empty(now))
            value = value if value or was is not _MISSING else _MISSING
        elif name == "subscriptions":
            value = _by_key(was, then, now, name, problems=None)
            for subscription_id in staying & _or_empty(now).keys():
                value = _or_empty(value) | {subscription_id: now[subscription_id]}
        elif name == "consents":  # a decision recorded since is the survivor's own: it stays, silently
            value = _by_key(was, then, now, name, problems=None)
        elif name in FIELD_TRAITS and FIELD_TRAITS[name].kind == "list":
            value = _items(name, was, then, now, problems)
        elif name in FIELD_TRAITS and FIELD_TRAITS[name].kind == "map":
            value = _by_key(was, then, now, name, problems)
        else:
            value = _three_way(name, was, then, now, problems if name in FIELD_TRAITS else None)
        if value is not _MISSING and not (value in ({}, []) and was is _MISSING):
            result[name] = value
    return result, problems


def _or_empty(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _bare(value: Any) -> Any:
    """The value as compared: a null and a missing key are one (writers differ in which they keep)."""
    if isinstance(value, dict):
        return {key: _bare(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_bare(item) for item in value]
    return _MISSING if value is None else value


def _same(one: Any, other: Any) -> bool:
    return _bare(one) == _bare(other)


def _three_way(path: str, was: Any, then: Any, now: Any, problems: list[FieldProblem] | None) -> Any:
    if _same(then, was) or not _same(now, then):
        if not _same(now, then) and not _same(then, was) and not _same(now, was) and problems is not None:
            problems.append(FieldProblem(path, _edited(was, then)))
        return now  # untouched by the merge, or written since: as it is
    return was


def _edited(was: Any, then: Any) -> str:
    def shown(value: Any) -> str:
        return "nothing" if value is _MISSING or value is None else repr(value)

    return (
        f"edited since the merge, kept as edited; before the merge it was {shown(was)}, the merge made it {shown(then)}"
    )


def _by_key(was: Any, then: Any, now: Any, path: str, problems: list[FieldProblem] | None) -> Any:
    was, then, now = _or_empty(was), _or_empty(then), _or_empty(now)
    result = {}
    for key in sorted(was.keys() | then.keys() | now.keys()):
        value = _three_way(
            f"{path}.{key}", was.get(key, _MISSING), then.get(key, _MISSING), now.get(key, _MISSING), problems
        )
        if value is not _MISSING:
            result[key] = value
    return result


def _items(path: str, was: Any, then: Any, now: Any, problems: list[FieldProblem]) -> Any:
    """A list: the items the merge brought are taken out, the ones it took out come back."""
    identity = FIELD_TRAITS[path].item_identity
    was, then = was if isinstance(was, list) else [], then if isinstance(then, list) else []
    now = now if isinstance(now, list) else []
    had = {identity(item): item for item in was}
    brought = {identity(item): item for item in then if not _same(had.get(identity(item)), item)}
    result = []
    for item in now:
        key = identity(item)
        if key not in brought:
            result.append(item)
        elif not _same(item, brought[key]):
            result.append(item)
            problems.append(FieldProblem(f"{path}[{len(result) - 1}]", _edited(had.get(key, _MISSING), brought[key])))
        elif key in had:
            result.append(had[key])  # the merge changed the survivor's own item (a rule): as it was
    present = {identity(item) for item in result}
    taken_out = {identity(item) for item in then}
    result += [item for key, item in had.items() if key not in taken_out and key not in present]
    return result


def _counts(was: dict, then: dict, now: dict) -> dict:
    """Engagement: numbers lose what the merge added to them; moments and the rest go back when no
    later write moved them."""
    result = {}
    for name in sorted(was.keys() | then.keys() | now.keys()):
        a, b, c = was.get(name, _MISSING), then.get(name, _MISSING), now.get(name, _MISSING)
        if any(isinstance(value, dict) for value in (a, b, c)):
            value = {
                key: amount
                for key, amount in _counts(_or_empty(a), _or_empty(b), _or_empty(c)).items()
                if amount != 0 or key in _or_empty(a)
            }
            value = value if value or a is not _MISSING else _MISSING
        elif any(_number(value) for value in (a, b, c)) and not any(isinstance(v, str) for v in (a, b, c)):
            value = _amount(c) - (_amount(b) - _amount(a))
            value = int(value) if value == value.to_integral_value() else value
            value = value if value != 0 or a is not _MISSING else _MISSING
        else:
            value = _three_way(name, a, b, c, None)
        if value is not _MISSING:
            result[name] = value
    return result


def _number(value: Any) -> bool:
    return isinstance(value, int | Decimal | float) and not isinstance(value, bool)


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if _number(value) else Decimal(0)
