"""What a customer field is beyond its type: declared once, on the field, and read back from the model.

A field of CustomerFields carries `Traits(...)` in its annotation only where a default does not fit.
`traits_of(model)` answers for every field, filling in from the annotation: a list, a map (dict) or
a single value, and from that how merges combine it and how a CSV row holds it. The patch model,
the merge rules and the CSV columns are all derived from these answers, so a new field is
patchable, mergeable, importable and exportable with no edit beyond the model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

Kind = Literal["scalar", "list", "map"]


@dataclass(frozen=True)
class ScalarColumn:
    """One CSV column holding the value as text."""

    column: str


@dataclass(frozen=True)
class ItemsCell:
    """A list in one CSV cell, items separated by ';': each item is {item_key: text}, or the text itself."""

    column: str
    item_key: str | None = None


@dataclass(frozen=True)
class KeyedColumns:
    """A map as one CSV column per key, named prefix + key (external_id.billing)."""

    prefix: str


@dataclass(frozen=True)
class AddressColumns:
    """A list of postal addresses, of which a CSV row holds the first, one column per part."""


CsvShape = ScalarColumn | ItemsCell | KeyedColumns | AddressColumns


@dataclass(frozen=True)
class Traits:
    """Put in a field's Annotated metadata; what is left None is filled in by `traits_of`."""

    identifies: bool = False  # enough on its own to tell who a customer is
    indexed: bool = False  # has lookup or index items beside the profile: a patch of it reads the stored record
    patch_key_by_key: bool = False  # a map a patch merges key by key, a null value removing that key
    kind: Kind | None = None  # from the annotation
    item_identity: Callable[[Any], Hashable] | None = None  # list items (as JSON) that are one when lists combine
    csv: CsvShape | None = None  # from the kind: a column, a cell of items, or a column per key


def whole_item(item: Any) -> Hashable:
    """Default identity of a list item: equal items are one."""
    return json.dumps(item, sort_keys=True) if isinstance(item, dict | list) else item


def traits_of(model: type[BaseModel]) -> dict[str, Traits]:
    """Every field of the model with its traits, declared or filled in, in the model's field order."""
    return {name: _resolved(name, field) for name, field in model.model_fields.items()}


def _resolved(name: str, field: FieldInfo) -> Traits:
    declared = next((item for item in field.metadata if isinstance(item, Traits)), Traits())
    kind = declared.kind or kind_of(field.annotation)
    return replace(
        declared,
        kind=kind,
        item_identity=declared.item_identity or (whole_item if kind == "list" else None),
        csv=declared.csv or _default_csv(name, kind, field.annotation),
    )


def kind_of(annotation: Any) -> Kind:
    """list, map or scalar: what the annotation holds, None aside."""
    options = {get_origin(option) or option for option in _options(annotation)}
    if options == {list}:
        return "list"
    if options == {dict}:
        return "map"
    return "scalar"


def _default_csv(name: str, kind: Kind, annotation: Any) -> CsvShape:
    if kind == "map":
        return KeyedColumns(f"{name}.")
    if kind == "scalar":
        return ScalarColumn(name)
    items = [_bare(get_args(option)[0]) for option in _options(annotation) if get_args(option)]
    if any(isinstance(item, type) and issubclass(item, BaseModel) for item in items):
        raise TypeError(f"{name}: a list of objects needs Traits(csv=...) to say how a CSV row holds it")
    return ItemsCell(name)


def _options(annotation: Any) -> list[Any]:
    """The types an annotation allows, without Annotated wrappers and without None."""
    options = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    return [_bare(option) for option in options if option is not type(None)]


def _bare(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation
