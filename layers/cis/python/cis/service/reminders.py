"""The renewal-reminders job: announce every reminder due on a day, reading only that day's reminders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from cis.domain.events import DomainEvent
from cis.domain.moments import timestamp, utcnow
from cis.domain.reminders import RenewalDue

JOB = "renewal-reminders"
ACTOR = f"system:{JOB}"
PAGE_SIZE = 100


class Due(Protocol):
    def page(self, day: str, cursor: dict | None, limit: int) -> tuple[list[dict], dict | None]: ...


class Bus(Protocol):
    def publish(self, events: list[DomainEvent]) -> None: ...


@dataclass
class JobRun:
    day: date
    read: int = 0
    emitted: int = 0
    pages: int = 0
    cursor: dict | None = field(default=None)  # where the next invocation goes on; None when the day is done

    def to_dict(self) -> dict:
        return {
            "job": JOB,
            "date": self.day.isoformat(),
            "read": self.read,
            "emitted": self.emitted,
            "pages": self.pages,
            "done": self.cursor is None,
            "cursor": self.cursor,
        }


def renewal_due_event(reminder: dict, now: datetime) -> DomainEvent:
    due = RenewalDue.model_validate(reminder)
    subscription_id, renews_at, lead_days = due.key
    return DomainEvent(
        "subscription.renewal_due",
        # The same for every run of the day: consumers can tell a repeat from a new reminder.
        event_id=f"renewal_due:{subscription_id}:{renews_at}:{lead_days}",
        customer_id=due.customer_id,
        occurred_at=timestamp(now),
        actor=ACTOR,
        detail=due.model_dump(mode="json", exclude={"customer_id"}),
    )


class RenewalReminderJob:
    def __init__(self, due: Due, bus: Bus, clock: Callable[[], datetime] = utcnow, page_size: int = PAGE_SIZE):
        self.due, self.bus, self.clock, self.page_size = due, bus, clock, page_size

    def run(self, day: date, cursor: dict | None, has_time: Callable[[], bool]) -> JobRun:
        """Page through the day's shards from `cursor`; stop with a cursor when time runs short.

        Every page is announced before the cursor moves past it, so a run that fails or stops
        repeats at most its last page (the notifier's claims make a repeat harmless) and skips none.
        """
        run = JobRun(day)
        while True:
            reminders, cursor = self.due.page(day.isoformat(), cursor, self.page_size)
            now = self.clock()
            self.bus.publish([renewal_due_event(reminder, now) for reminder in reminders])
            run.read, run.emitted, run.pages = run.read + len(reminders), run.emitted + len(reminders), run.pages + 1
            if cursor is None or not has_time():
                run.cursor = cursor
                return run
