"""The churn check end to end on moto: activity writes move the idle watch, the daily job reads only the
customers watched that day, stores what it found, announces level changes once, and a check-in goes
out once per quiet spell, however often the day is run."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest
from cis.domain.churn import ChurnRules
from cis.domain.customer import CustomerCreate
from cis.domain.interactions import Activity, Ticket, TicketUpdate
from cis.domain.risk import ChurnRisk
from cis.errors import InvalidRequest
from cis.repository import keys
from cis.repository.bus import EventBus
from cis.repository.churn import ChurnRepository, idle_watch_item, rescore_item
from cis.repository.factory import churn_repository, timeline_repository
from cis.repository.items import from_attributes
from cis.service.churn import ChurnCheckJob
from cis.service.customers import CustomerService
from cis.service.timeline import TimelineService
from cis_local.request_counter import ItemsRead

from tests.repository.conftest import BUS, daytime_zone, drain, sent_emails

RULES = ChurnRules()  # thresholds 14, 30, 60
UTC_ZONE = ZoneInfo("UTC")
DAY0 = date(2026, 6, 1)


class Clock:
    def __init__(self):
        self.now = datetime.combine(DAY0, time(12), tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def on(self, day: date) -> "Clock":
        self.now = datetime.combine(day, time(12), tzinfo=UTC)
        return self


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def feed_clock(clock):
    return clock  # the change feed marks the run after the change by this clock


@pytest.fixture
def timeline(dynamodb, clock):
    return TimelineService(timeline_repository(dynamodb), clock=clock, thresholds=RULES.thresholds_days, zone=UTC_ZONE)


@pytest.fixture
def customers(repository):
    service = CustomerService(repository)

    def create(name: str = "Quiet", **fields) -> str:
        return service.create(CustomerCreate(given_name=name, **fields), "staff:test").id

    return create


@pytest.fixture
def active_on(timeline, clock):
    def record(customer_id: str, *days: date) -> None:
        for day in days:
            clock.on(day)
            timeline.record(customer_id, Activity(type="activity", activity="login", channel="web"), "staff:test")

    return record


def job(dynamodb, bus, clock, repository=None) -> ChurnCheckJob:
    return ChurnCheckJob(repository or churn_repository(dynamodb), bus, RULES, UTC_ZONE, clock)


def watch(dynamodb, customer_id: str, kind: str = "IDLE") -> dict | None:
    item = dynamodb.get_item(TableName="cis-test", Key=keys.watch_key(customer_id, kind)).get("Item")
    return from_attributes(item) if item else None


def profile(dynamodb, customer_id: str) -> dict:
    return from_attributes(dynamodb.get_item(TableName="cis-test", Key=keys.customer_key(customer_id))["Item"])


def every(start: date, days: int, step: int) -> list[date]:
    return [start + timedelta(days=offset) for offset in range(0, days, step)]


def test_every_activity_moves_the_idle_watch_to_the_first_threshold_and_an_older_one_does_not(
    dynamodb, timeline, clock, customers, active_on
):
    customer_id = customers()
    active_on(customer_id, DAY0)
    first = watch(dynamodb, customer_id)
    assert (first["watch_on"], first["threshold_days"], first["last_activity"]) == ("2026-06-15", 14, "2026-06-01")
    item = dynamodb.get_item(TableName="cis-test", Key=keys.watch_key(customer_id, "IDLE"))["Item"]
    assert item["GSI1PK"]["S"].startswith("WATCH#2026-06-15#") and item["GSI1SK"]["S"] == f"{customer_id}#IDLE"

    active_on(customer_id, DAY0 + timedelta(days=3))
    assert watch(dynamodb, customer_id)["watch_on"] == "2026-06-18"

    clock.on(DAY0 + timedelta(days=4))  # recorded late: older than the last activity, so it moves nothing
    older = datetime.combine(DAY0 + timedelta(days=1), time(9), tzinfo=UTC)
    timeline.record(customer_id, Activity(type="activity", activity="visit", channel="app", occurred_at=older), "t")
    assert watch(dynamodb, customer_id)["watch_on"] == "2026-06-18"


def test_an_activity_recorded_long_after_it_happened_is_looked_at_on_the_next_run(dynamodb, timeline, clock, customers):
    customer_id = customers()
    clock.on(DAY0 + timedelta(days=100))  # an import of last spring's visits: every threshold is behind it
    long_ago = datetime.combine(DAY0, time(10), tzinfo=UTC)
    timeline.record(customer_id, Activity(type="activity", activity="visit", channel="web", occurred_at=long_ago), "t")
    assert watch(dynamodb, customer_id)["watch_on"] == (DAY0 + timedelta(days=101)).isoformat()


def test_the_job_reads_only_the_customers_watched_that_day(dynamodb, bus, clock, customers, active_on):
    due = [customers(f"Due {n}") for n in range(6)]
    later = [customers(f"Later {n}") for n in range(9)]
    for customer_id in due:
        active_on(customer_id, DAY0)
    for number, customer_id in enumerate(later):
        active_on(customer_id, DAY0 + timedelta(days=1 + number % 3))
    reads = ItemsRead(dynamodb)

    run = job(dynamodb, bus, clock).run(DAY0 + timedelta(days=14), None, lambda: True)

    assert run.read == reads.items == len(due)  # the day's watches, nothing else from the index
    assert reads.fetched == len(due)  # and their profiles, by key
    assert reads.requests == keys.WATCH_SHARDS  # one Query per shard
    assert run.customers == len(due) and run.cursor is None
    assert all(profile(dynamodb, customer_id).get("churn_risk") is None for customer_id in later)


def test_a_quiet_customer_is_assessed_at_each_threshold_announced_once_then_no_longer_watched(
    dynamodb, bus, clock, customers, active_on
):
    customer_id = customers()
    history = every(DAY0, 60, 3)  # every three days for two months, then nothing
    active_on(customer_id, *history)
    last = history[-1]
    runs = {}
    for days in (14, 30, 60):
        before = len(bus.events)
        runs[days] = job(dynamodb, bus, clock).run(last + timedelta(days=days), None, lambda: True)
        runs[days].events = bus.events[before:]
        kept = watch(dynamodb, customer_id)
        assert (kept["watch_on"] if kept else None) == {
            14: (last + timedelta(days=30)).isoformat(),
            30: (last + timedelta(days=60)).isoformat(),
            60: None,
        }[days]

    risk = ChurnRisk.model_validate(profile(dynamodb, customer_id)["churn_risk"])
    assert (risk.assessed_on, risk.score, risk.level) == (last + timedelta(days=60), 55, "medium")
    inactive, drop = risk.reasons  # strongest first, each with the numbers behind it
    assert inactive.model_dump(exclude_none=True) == {
        "code": "inactive",
        "points": 35,
        "days_since_activity": 60,
        "usual_gap_days": 3,
    }
    assert (drop.code, drop.points, drop.recent, drop.drop) == ("activity_drop", 20, 0, 1)

    kinds = {days: [event.kind for event in run.events] for days, run in runs.items()}
    assert kinds == {14: ["customer.churn_risk_changed", "customer.check_in_due"], 30: [], 60: []}
    changed, check_in = runs[14].events
    assert (changed.detail["previous_level"], changed.detail["level"]) == ("low", "medium")
    assert changed.detail["reasons"] == ["inactive"]  # the drop shows from day 30: still medium, not announced
    assert check_in.detail["threshold_days"] == 14 and check_in.detail["due_on"] == str(last + timedelta(days=14))
    assert runs[14].newly_at_risk == 1 and runs[30].newly_at_risk == runs[60].newly_at_risk == 0


def test_rerunning_a_day_emits_nothing_new_and_a_repeated_check_in_is_sent_once(
    dynamodb, clock, customers, active_on, notifier_queue
):
    _, driver, _, _ = notifier_queue
    now = datetime.now(UTC)
    customer_id = customers("Ada", emails=[{"address": "ada@example.com"}], time_zone=daytime_zone(now))
    last = now.date() - timedelta(days=20)
    active_on(customer_id, *every(last - timedelta(days=30), 31, 2))
    day = last + timedelta(days=14)
    bus = EventBus(boto3.client("events"), BUS)

    first = job(dynamodb, bus, clock).run(day, None, lambda: True)
    assert (first.check_ins, first.level_changes) == (1, 1)
    drain(driver)
    [email] = sent_emails(dynamodb.meta.region_name)
    assert email.destinations["ToAddresses"] == ["ada@example.com"] and "a while" in email.subject

    again = job(dynamodb, bus, clock).run(day, None, lambda: True)
    assert (again.read, again.emitted) == (0, 0)  # the watch moved on: nothing of that day is left

    # A run that died after announcing but before moving the watch: the day is read and announced again.
    stored = watch(dynamodb, customer_id)
    put_back = idle_watch_item(customer_id, day, 14, date.fromisoformat(stored["last_activity"]))
    dynamodb.put_item(TableName="cis-test", Item=put_back)
    repeat = job(dynamodb, bus, clock).run(day, None, lambda: True)
    assert (repeat.read, repeat.check_ins, repeat.level_changes) == (1, 1, 0)  # the level was stored already
    drain(driver)
    assert len(sent_emails(dynamodb.meta.region_name)) == 1  # the check-in's claim held
    entries = timeline_repository(dynamodb).page(customer_id, "notification", 10, None).items
    assert [(e["template"], e["status"], e["purpose"]) for e in entries] == [("check_in", "sent", "service")]


def test_a_changed_churn_signal_marks_the_customer_for_the_next_run_and_a_return_clears_the_risk(
    dynamodb, bus, repository, timeline, clock, customers, active_on, catch_up
):
    steady, troubled, returning = customers("Steady"), customers("Troubled"), customers("Returning")
    for customer_id in (steady, troubled, returning):
        active_on(customer_id, DAY0)
    risk = ChurnRisk(score=70, level="high", reasons=[{"code": "inactive", "points": 35}], assessed_on=DAY0)
    last = profile(dynamodb, returning)["engagement"]["last_activity_at"]
    assert churn_repository(dynamodb).save(returning, risk, last)
    catch_up()
    assert watch(dynamodb, returning, "RESCORE") is None  # the job's own write is not a signal

    day = DAY0 + timedelta(days=2)
    active_on(steady, day)  # a customer not at risk comes by: the idle watch covers them
    timeline.record(troubled, Ticket(type="ticket", subject="Broken", body="It broke."), "staff:test")
    active_on(returning, day)  # back, while listed as high risk
    catch_up()
    tomorrow = (day + timedelta(days=1)).isoformat()  # the run after the change
    assert watch(dynamodb, steady, "RESCORE") is None
    assert watch(dynamodb, troubled, "RESCORE")["watch_on"] == tomorrow
    assert watch(dynamodb, returning, "RESCORE")["watch_on"] == tomorrow
    assert [c.id for c in repository.at_risk("high", 10, None).items] == [returning]

    run = job(dynamodb, bus, clock).run(day + timedelta(days=1), None, lambda: True)

    assert run.customers == 2 and run.read == 2
    assert watch(dynamodb, troubled, "RESCORE") is None and watch(dynamodb, returning, "RESCORE") is None
    [back] = [event for event in bus.events if event.kind.startswith("customer.churn")]
    assert back.customer_id == returning
    assert (back.detail["previous_level"], back.detail["level"]) == ("high", "low")
    assert repository.at_risk("high", 10, None).items == []
    troubled_risk = profile(dynamodb, troubled)["churn_risk"]
    assert troubled_risk["level"] == "low" and [r["code"] for r in troubled_risk["reasons"]] == ["open_tickets"]


def test_reopening_a_solved_ticket_is_kept_for_the_churn_rules(dynamodb, timeline, clock, customers):
    customer_id = customers()
    entry = timeline.record(customer_id, Ticket(type="ticket", subject="Slow", body="Slow.", status="solved"), "t")
    clock.on(DAY0 + timedelta(days=2))
    timeline.update_ticket(customer_id, entry.id, TicketUpdate(status="open"), "staff:test")
    engagement = profile(dynamodb, customer_id)["engagement"]
    assert engagement["last_ticket_reopened_at"].startswith("2026-06-03") and engagement["open_tickets"] == 1


def test_customers_at_risk_are_listed_riskiest_first_and_leave_the_list_when_archived(dynamodb, repository, customers):
    store = churn_repository(dynamodb)
    scores = {customers("Eighty"): 80, customers("Sixty-five"): 65, customers("Forty"): 40}
    for customer_id, score in scores.items():
        level = "high" if score >= 60 else "medium"
        assert store.save(customer_id, ChurnRisk(score=score, level=level, reasons=[], assessed_on=DAY0), None)
    eighty, sixty_five, forty = scores

    first = repository.at_risk("high", 1, None)
    second = repository.at_risk("high", 1, first.next_cursor)
    assert [c.id for c in first.items + second.items] == [eighty, sixty_five]
    assert [c.id for c in repository.at_risk("medium", 10, None).items] == [forty]
    with pytest.raises(InvalidRequest):  # a cursor of one list does not page another
        repository.at_risk("medium", 10, first.next_cursor)

    CustomerService(repository).archive(sixty_five, "staff:test", None)
    assert [c.id for c in repository.at_risk("high", 10, None).items] == [eighty]


def test_an_activity_between_the_jobs_read_and_its_write_is_not_overwritten(dynamodb, bus, clock, customers, active_on):
    customer_id = customers()
    active_on(customer_id, *every(DAY0, 30, 3))
    last = DAY0 + timedelta(days=27)
    day = last + timedelta(days=14)

    class ActivityMeanwhile(ChurnRepository):
        """The customer comes back while the job holds their profile."""

        def profiles(self, customer_ids):
            read = super().profiles(customer_ids)
            active_on(customer_id, day)
            return read

    run = job(dynamodb, bus, clock, ActivityMeanwhile(dynamodb, "cis-test")).run(day, None, lambda: True)

    risk = profile(dynamodb, customer_id)["churn_risk"]
    assert risk["level"] == "low" and run.assessed["low"] == 1  # assessed again from the fresh profile
    assert watch(dynamodb, customer_id)["watch_on"] == (day + timedelta(days=14)).isoformat()  # the activity's
    assert not [event for event in bus.events if event.kind == "customer.check_in_due"][1:]


def test_a_page_never_ends_between_one_customers_two_watches(dynamodb, bus, clock, customers):
    day, shards = DAY0 + timedelta(days=20), {}
    while not any(len(ids) >= 3 for ids in shards.values()):  # three customers whose watches share a shard
        customer_id = customers()
        shards.setdefault(keys.watch_keys(customer_id, "IDLE", "x")["GSI1PK"]["S"], []).append(customer_id)
    together = next(ids for ids in shards.values() if len(ids) >= 3)[:3]
    for customer_id in together:
        dynamodb.put_item(TableName="cis-test", Item=idle_watch_item(customer_id, day, 30, DAY0))
        dynamodb.put_item(TableName="cis-test", Item=rescore_item(customer_id, day))
    reads = ItemsRead(dynamodb)

    run = ChurnCheckJob(churn_repository(dynamodb), bus, RULES, UTC_ZONE, clock, page_size=3).run(
        day, None, lambda: True
    )

    assert run.read == 6 and run.customers == reads.fetched == 3  # each assessed once, from one profile read
    assert all(watch(dynamodb, customer_id, "RESCORE") is None for customer_id in together)
