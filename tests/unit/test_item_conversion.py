"""items.py's fast paths give the attribute values (and plain values) its general path gives."""

import json
import random
from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from cis.repository import items

_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


def general_to(values: dict) -> dict:
    plain = json.loads(json.dumps(values, default=items._number), parse_float=Decimal)
    return {key: _serializer.serialize(value) for key, value in plain.items()}


def general_from(item: dict) -> dict:
    return {key: items._plain(_deserializer.deserialize(value)) for key, value in item.items()}


def outcome(convert, value):
    try:
        return "ok", convert(value)
    except Exception as error:  # the same error type either way
        return "error", type(error).__name__


LEAVES = ["", "a", "é€", "1", 0, 1, -1, 10**37, 10**38, -(10**40), True, False, None, 1.5, 0.1, 1e-7, 3.0]
LEAVES += [Decimal("1.25"), Decimal("2"), float("nan")]


def value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth < 3 and roll < 0.2:
        return {rng.choice(["a", "b", "1"]): value(rng, depth + 1) for _ in range(rng.randrange(4))}
    if depth < 3 and roll < 0.35:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if depth < 3 and roll < 0.4:
        return tuple(value(rng, depth + 1) for _ in range(rng.randrange(3)))
    if roll < 0.42:
        return {1: "a key that is not text"}
    return rng.choice(LEAVES)


def test_random_values_convert_as_the_general_path_converts_them():
    rng = random.Random(7)
    for _ in range(20_000):
        values = {"x": value(rng), "y": value(rng)}
        written = outcome(general_to, values)
        assert outcome(items.to_attributes, values) == written, values
        if written[0] == "ok":
            assert outcome(items.from_attributes, written[1]) == outcome(general_from, written[1])


@pytest.mark.parametrize("text", ["0", "-0", "007", "9" * 38, "1E+3", "1.0", "-5", "1.50", "3.14"])
def test_numbers_read_back_as_the_same_value_of_the_same_type(text):
    fast, general = items.from_attributes({"n": {"N": text}}), general_from({"n": {"N": text}})
    assert fast == general and type(fast["n"]) is type(general["n"])


@pytest.mark.parametrize("value", [{"SS": ["a", "b"]}, {"NS": ["1", "2.5"]}, {"B": b"x"}, {"BS": [b"x"]}])
def test_sets_and_binary_take_the_general_path(value):
    assert items.from_attributes({"v": value}) == general_from({"v": value})
