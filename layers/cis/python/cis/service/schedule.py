"""What every scheduled job's handler does: read the day to work on and where to go on from its event,
run the job until time runs short, and ask for its continuation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from cis.domain.moments import parse_day

MARGIN_MS = 60_000  # stop paging with this much time left: one page and the continuation fit easily


class DailyJob(Protocol):
    def run(self, day: date, cursor: dict | None, has_time: Callable[[], bool]) -> Any: ...


class Continuations(Protocol):
    def continue_job(self, job: str, detail: dict) -> None: ...


def day_and_cursor(event: dict, zone: ZoneInfo) -> tuple[date, dict | None]:
    """From a continuation, an explicit date (`cis jobs run`), or the schedule's time in the business zone."""
    if event.get("detail-type") == "job.continued":
        return date.fromisoformat(event["detail"]["date"]), event["detail"]["cursor"]
    if event.get("date"):
        return parse_day(event["date"]), None  # typed by a person: 20261201 or 1764547200 is refused
    moment = event.get("scheduled_time")
    at = datetime.fromisoformat(moment.replace("Z", "+00:00")) if moment else datetime.now(UTC)
    return at.astimezone(zone).date(), None


def run_day(name: str, job: DailyJob, bus: Continuations, event: dict, context: Any, zone: ZoneInfo) -> Any:
    """One invocation's share of the day; a run that stops with a cursor is continued by the bus's rule."""
    day, cursor = day_and_cursor(event, zone)
    run = job.run(day, cursor, lambda: context.get_remaining_time_in_millis() > MARGIN_MS)
    if run.cursor is not None:
        bus.continue_job(name, {"date": day.isoformat(), "cursor": run.cursor})
    return run
