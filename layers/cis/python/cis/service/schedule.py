"""What every scheduled job's handler reads from its event: the day to work on and where to go on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def day_and_cursor(event: dict, zone: ZoneInfo) -> tuple[date, dict | None]:
    """From a continuation, an explicit date (`cis jobs run`), or the schedule's time in the business zone."""
    if event.get("detail-type") == "job.continued":
        return date.fromisoformat(event["detail"]["date"]), event["detail"]["cursor"]
    if event.get("date"):
        return date.fromisoformat(event["date"]), None
    moment = event.get("scheduled_time")
    at = datetime.fromisoformat(moment.replace("Z", "+00:00")) if moment else datetime.now(UTC)
    return at.astimezone(zone).date(), None
