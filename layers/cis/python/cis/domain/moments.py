"""Dates and times as clients send them (ISO 8601 text, with a time zone, in the range ids can hold),
and as the CIS writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

# Ids are ULIDs whose time part is a moment like these, and a ULID's clock starts at the Unix epoch.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)  # a day short of the end, so any offset converts to UTC


def _iso_text(value: Any) -> Any:
    # Pydantic's lax mode would read a number as seconds since 1970; the API documents text.
    if isinstance(value, int | float):
        raise ValueError("give it as ISO 8601 text, such as 2026-11-23T10:00:00Z or 2026-11-23")
    return value


def _in_range(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone, e.g. 2026-11-23T10:00:00Z")
    if value < EARLIEST:
        raise ValueError("is before 1970-01-01T00:00:00Z, the earliest time this API holds")
    if value > LATEST:
        raise ValueError("is after 9999-12-30, the latest time this API holds")
    return value


Moment = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_in_range)]
Day = Annotated[date, BeforeValidator(_iso_text)]

CLOCK_SKEW = timedelta(minutes=5)


def _not_in_future(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError("is in the future")
    return value.astimezone(UTC)


OccurredAt = Annotated[
    Moment | None,
    AfterValidator(_not_in_future),
    Field(description="When it happened (default: now); older times are placed in the past on the timeline"),
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """Fixed-width UTC text, so stored times compare correctly as strings (in conditions, in sort keys)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
