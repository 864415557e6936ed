"""Conversion between plain JSON-shaped values and DynamoDB attribute values."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _number(value: Any) -> float:
    if isinstance(value, Decimal):  # read back from DynamoDB: its repr round-trips through float text
        return float(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def to_attributes(values: dict[str, Any]) -> dict[str, dict]:
    # DynamoDB numbers are Decimals; a JSON round trip turns every float into one exactly.
    plain = json.loads(json.dumps(values, default=_number), parse_float=Decimal)
    return {key: _serializer.serialize(value) for key, value in plain.items()}


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


def from_attributes(item: dict[str, dict]) -> dict[str, Any]:
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}
