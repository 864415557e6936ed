"""Conversion between plain JSON-shaped values and DynamoDB attribute values.

Both directions have a fast path for the shapes items are made of (str, int, bool, None, lists, maps
with str keys): the same attribute values as the JSON round trip and boto3's serializer give, at a
fraction of the cost (every profile, block and audit entry goes through here). Anything else (a
float, a Decimal, a set, bytes, a very large int) takes the general path."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_MAX_DIGITS = 38  # DynamoDB's precision: within it an int's text is its number's text


class _General(Exception):
    """A value the fast path leaves to the general one."""


def _number(value: Any) -> float:
    if isinstance(value, Decimal):  # read back from DynamoDB: its repr round-trips through float text
        return float(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _fast(value: Any) -> dict:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _General
            out[key] = _fast(item)
        return {"M": out}
    if kind is list or kind is tuple:
        return {"L": [_fast(item) for item in value]}
    if kind is bool:
        return {"BOOL": value}
    if kind is int:
        text = str(value)
        if len(text) > _MAX_DIGITS:
            raise _General
        return {"N": text}
    if value is None:
        return {"NULL": True}
    raise _General


def _general(values: dict[str, Any]) -> dict[str, dict]:
    # DynamoDB numbers are Decimals; a JSON round trip turns every float into one exactly.
    plain = json.loads(json.dumps(values, default=_number), parse_float=Decimal)
    return {key: _serializer.serialize(value) for key, value in plain.items()}


def to_attributes(values: dict[str, Any]) -> dict[str, dict]:
    try:
        return _fast(values)["M"]
    except _General:
        return _general(values)


def to_value(value: Any) -> dict:
    return to_attributes({"v": value})["v"]


def _plain(value: Any) -> Any:
    # Fractions stay Decimal: money must come back exactly as it was added up.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _read(value: dict) -> Any:
    """One attribute value as _plain(deserialize(value)) gives it."""
    if len(value) == 1:
        ((kind, content),) = value.items()
        if kind == "S":
            return content
        if kind == "M":
            return {key: _read(item) for key, item in content.items()}
        if kind == "L":
            return [_read(item) for item in content]
        if kind == "N":
            if len(content) <= _MAX_DIGITS and content.isdigit():
                return int(content)
            return _plain(DYNAMODB_CONTEXT.create_decimal(content))
        if kind == "BOOL":
            return content
        if kind == "NULL":
            return None
    return _plain(_deserializer.deserialize(value))


def from_attributes(item: dict[str, dict]) -> dict[str, Any]:
    return {key: _read(value) for key, value in item.items()}
