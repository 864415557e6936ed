"""Dates and times as clients send them (ISO 8601 text, with a time zone, in the range ids can hold),
and as the CIS writes them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

# Ids are ULIDs whose time part is a moment like these, and a ULID's clock starts at the Unix epoch.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)  # a day short of the end, so any offset converts to UTC


# Shapes checked before pydantic parses: its lax mode reads a number, or a string of digits such as
# "86400" or "19371233", as seconds since 1970, and takes a date with a time ("...T00:00") for a day.
DAY_FORMAT = "YYYY-MM-DD, such as 1985-12-10"
MOMENT_FORMAT = "ISO 8601 text with a time zone, such as 2026-11-23T10:00:00Z"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?")


def _parsed(parse: Any, text: str, form: str) -> Any:
    """The text parsed, if its numbers make a real day and time (2023-02-29 is not); else why not."""
    try:
        return parse(text)
    except ValueError as error:
        raise ValueError(
            f"not a real {form} ({error}): give one as {DAY_FORMAT if form == 'date' else MOMENT_FORMAT}"
        ) from None


def _day_text(value: Any) -> Any:
    """A day as clients send it: YYYY-MM-DD text, a day that exists; never a number or a time."""
    if isinstance(value, datetime):
        raise ValueError(f"give a day without a time, as {DAY_FORMAT}")
    if isinstance(value, date):
        return value  # from code, not from a client
    if not isinstance(value, str):
        raise ValueError(f"give a date as text, {DAY_FORMAT}; a number is not read as a date")
    if not _DAY.fullmatch(value):
        raise ValueError(f"not a date in the form {DAY_FORMAT}")
    return _parsed(date.fromisoformat, value, "date")


def _iso_text(value: Any) -> Any:
    """A moment as clients send it: ISO 8601 date and time text; never a number (Unix time)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"give a time as {MOMENT_FORMAT}; a number is not read as a time")
    if not _MOMENT.fullmatch(value):
        raise ValueError(f"not a time in the form {MOMENT_FORMAT}")
    return _parsed(datetime.fromisoformat, value, "time")


def _in_range(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone, e.g. 2026-11-23T10:00:00Z")
    if value < EARLIEST:
        raise ValueError("is before 1970-01-01T00:00:00Z, the earliest time this API holds")
    if value > LATEST:
        raise ValueError("is after 9999-12-30, the latest time this API holds")
    return value


Moment = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_in_range)]
Day = Annotated[date, BeforeValidator(_day_text)]


def parse_day(value: Any) -> date:
    """A day given outside a model (a job's event, a command line): YYYY-MM-DD or ValueError saying so."""
    return _day_text(value)


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
