"""The daily retention job: erase the archived customers whose retention ended that day (cis.domain.retention).

It reads only that day's index partition (ErasuresDue), so its cost grows with the customers due,
not with the table. An erased customer leaves the index (its tombstone has no GSI2 keys), and one
restored since leaves it too, so a re-run finds nothing left to do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from cis.domain.erasure import ErasureRequest
from cis.domain.retention import configured
from cis.repository.retention import ErasuresDue
from cis.service.erasure import ErasureService

JOB = "retention"
ACTOR = "job:retention"
PAGE_SIZE = 25


@dataclass
class RetentionRun:
    day: date
    read: int = 0
    erased: int = 0
    pages: int = 0
    cursor: dict | None = field(default=None)

    def to_dict(self) -> dict:
        return {
            "job": JOB,
            "date": self.day.isoformat(),
            "read": self.read,
            "erased": self.erased,
            "pages": self.pages,
            "done": self.cursor is None,
            "cursor": self.cursor,
        }


class RetentionJob:
    def __init__(self, due: ErasuresDue, erasure: ErasureService, page_size: int = PAGE_SIZE):
        self.due, self.erasure, self.page_size = due, erasure, page_size

    def run(self, day: date, cursor: dict | None, has_time: Callable[[], bool]) -> RetentionRun:
        days = configured().archived_profiles_days
        # Archived on or before this moment: due today (the index is eventually consistent; the profile decides).
        archived_before = datetime.combine(day - timedelta(days=days), time.max, tzinfo=UTC)
        request = ErasureRequest(
            reason=f"retention: archived more than {days} days ago", legal_basis="no_longer_necessary"
        )
        run = RetentionRun(day)
        while True:
            ids, cursor = self.due.page(day.isoformat(), cursor, self.page_size)
            for customer_id in ids:
                done = self.erasure.erase(customer_id, request, ACTOR, archived_before=archived_before)
                run.erased += done is not None
            run.read, run.pages = run.read + len(ids), run.pages + 1
            if cursor is None or not has_time():
                run.cursor = cursor
                return run
