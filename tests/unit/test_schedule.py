"""A scheduled job's invocation: which day it works on, and how a run that runs out of time goes on."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from cis.service.schedule import MARGIN_MS, day_and_cursor, run_day

BERLIN = ZoneInfo("Europe/Berlin")


def test_the_day_comes_from_a_continuation_an_explicit_date_or_the_schedule_in_the_business_zone():
    continued = {"detail-type": "job.continued", "detail": {"date": "2026-11-20", "cursor": {"shard": 3}}}
    assert day_and_cursor(continued, BERLIN) == (date(2026, 11, 20), {"shard": 3})
    assert day_and_cursor({"date": "2026-12-01"}, BERLIN) == (date(2026, 12, 1), None)
    # 23:30 UTC on the 23rd is already the 24th in Berlin: the schedule's day is the business day.
    assert day_and_cursor({"scheduled_time": "2026-11-23T23:30:00Z"}, BERLIN) == (date(2026, 11, 24), None)


@dataclass
class Run:
    cursor: dict | None


class Job:
    def __init__(self, stops_at: dict | None):
        self.stops_at, self.calls = stops_at, []

    def run(self, day, cursor, has_time):
        self.calls.append((day, cursor, has_time()))
        return Run(self.stops_at)


class Bus:
    def __init__(self):
        self.continued = []

    def continue_job(self, job, detail):
        self.continued.append((job, detail))


class Context:
    def __init__(self, remaining_ms: int):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_a_run_that_stops_with_a_cursor_asks_for_its_continuation_and_a_finished_one_does_not():
    bus, stopped = Bus(), Job({"shard": 5, "start": {"PK": "x"}})
    run_day("churn-check", stopped, bus, {"date": "2026-11-23"}, Context(MARGIN_MS - 1), BERLIN)
    assert stopped.calls == [(date(2026, 11, 23), None, False)]  # too little time left: has_time says so
    assert bus.continued == [("churn-check", {"date": "2026-11-23", "cursor": {"shard": 5, "start": {"PK": "x"}}})]

    finished = Job(None)
    run_day("churn-check", finished, bus, {"date": "2026-11-23"}, Context(MARGIN_MS + 1), BERLIN)
    assert finished.calls[0][2] is True and len(bus.continued) == 1
