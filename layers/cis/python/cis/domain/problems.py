"""Validation errors as a person reads them: where (a path such as emails[0].address) and what is wrong.

The API's 422 answers and the import report both come from here, so a row and a request body that
break the same rule get the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from cis.domain.customer import READ_ONLY_FIELDS
from cis.errors import FieldProblem

LOCATIONS = ("body", "query", "path", "header")


@cache
def union_tags() -> frozenset[str]:
    """Tags of the discriminated unions request bodies use (the interaction types). Read when a problem
    is reported: the interaction models' module is loaded by the functions that take interactions."""
    from cis.domain.interactions import INTERACTION_TYPES

    return frozenset(INTERACTION_TYPES)


def path_of(location: Sequence[Any]) -> str:
    parts = list(location[1:]) if location and location[0] in LOCATIONS else list(location)
    if location and location[0] == "body" and parts and parts[0] in union_tags():
        parts = parts[1:]  # pydantic names the union member it tried; the client's body has no such key
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def problem_of(error: dict) -> str:
    kind, message = error.get("type", ""), str(error.get("msg", "invalid"))
    name = error.get("loc", ())[-1] if error.get("loc") else ""
    if kind == "extra_forbidden":
        return "read-only: set by the server" if name in READ_ONLY_FIELDS else "unknown field"
    if kind == "missing":
        return "required"
    return message.removeprefix("Value error, ")


def field_problems(errors: Sequence[dict]) -> list[FieldProblem]:
    """pydantic's errors (from ValidationError.errors() or Powertools) as field problems."""
    return [FieldProblem(path_of(error.get("loc", ())), problem_of(error)) for error in errors]
