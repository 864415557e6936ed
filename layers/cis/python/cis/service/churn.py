"""The churn-check job: assess the customers whose watch falls on a day, and only those.

A customer is watched on the day their quiet spell crosses an inactivity threshold (IDLE, moved by
every activity) and on the run after another churn signal changed (RESCORE, from the stream). For
each, the job stores the score, level and reasons on the profile, announces a change of level, and
at the first threshold queues a check-in; then it moves the idle watch to the next threshold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from cis.domain.churn import ChurnRules, assess, next_crossing, signals_of
from cis.domain.customer import Customer
from cis.domain.events import DomainEvent
from cis.domain.model import STORED
from cis.domain.moments import timestamp, utcnow
from cis.domain.risk import ChurnRisk
from cis.repository.customers import VersionConflict
from cis.repository.retries import retry_on_conflict

JOB = "churn-check"
ACTOR = f"system:{JOB}"
PAGE_SIZE = 100
AT_RISK = ("medium", "high")


class Watches(Protocol):
    def page(self, day: str, cursor: dict | None, limit: int) -> tuple[list[dict], dict | None]: ...
    def profiles(self, customer_ids: list[str]) -> dict[str, dict]: ...
    def profile(self, customer_id: str) -> dict | None: ...
    def save(self, customer_id: str, risk: ChurnRisk, last_activity: str | None) -> bool: ...
    def move_idle(self, customer_id: str, read_on: str, to: tuple[date, int] | None, last_activity: date) -> None: ...
    def clear(self, customer_id: str, kind: str, read_on: str) -> None: ...


class Bus(Protocol):
    def publish(self, events: list[DomainEvent]) -> None: ...


@dataclass
class ChurnRun:
    day: date
    read: int = 0  # watch items read
    customers: int = 0
    assessed: Counter = field(default_factory=Counter)  # per level
    newly_at_risk: int = 0  # low before, medium or high now
    level_changes: int = 0
    check_ins: int = 0
    pages: int = 0
    cursor: dict | None = None  # where the next invocation goes on; None when the day is done

    @property
    def emitted(self) -> int:
        return self.level_changes + self.check_ins

    def to_dict(self) -> dict:
        return {
            "job": JOB,
            "date": self.day.isoformat(),
            "read": self.read,
            "customers": self.customers,
            "assessed": {level: self.assessed[level] for level in ("low", "medium", "high")},
            "newly_at_risk": self.newly_at_risk,
            "level_changes": self.level_changes,
            "check_ins": self.check_ins,
            "emitted": self.emitted,
            "pages": self.pages,
            "done": self.cursor is None,
            "cursor": self.cursor,
        }


@dataclass
class Decision:
    customer_id: str
    watches: list[dict]  # the watch items read for this customer today
    risk: ChurnRisk | None = None  # None: not a customer to assess (gone, merged, archived)
    previous_level: str = "low"
    last_activity_at: str | None = None  # as stored: the save is conditional on it
    next_idle: tuple[date, int] | None = None
    last_activity: date | None = None
    events: list[DomainEvent] = field(default_factory=list)


class ChurnCheckJob:
    def __init__(
        self,
        watches: Watches,
        bus: Bus,
        rules: ChurnRules,
        zone: ZoneInfo,
        clock: Callable[[], datetime] = utcnow,
        page_size: int = PAGE_SIZE,
    ):
        self.watches, self.bus, self.rules, self.zone = watches, bus, rules, zone
        self.clock, self.page_size = clock, page_size

    def run(self, day: date, cursor: dict | None, has_time: Callable[[], bool]) -> ChurnRun:
        """Page through the day's shards from `cursor`; stop with a cursor when time runs short.

        Each page's events go out before its results are stored and its watches moved, so a run that
        stops or fails repeats at most that page, with the same event ids (check-ins have a claim)."""
        run = ChurnRun(day)
        while True:
            watches, cursor = self.watches.page(day.isoformat(), cursor, self.page_size)
            run.read, run.pages = run.read + len(watches), run.pages + 1
            self._check(day, watches, run)
            if cursor is None or not has_time():
                run.cursor = cursor
                return run

    def _check(self, day: date, watches: list[dict], run: ChurnRun) -> None:
        by_customer: dict[str, list[dict]] = {}
        for watch in watches:
            by_customer.setdefault(watch["customer_id"], []).append(watch)
        profiles = self.watches.profiles(list(by_customer)) if by_customer else {}
        decisions = [self.decide(day, id_, found, profiles.get(id_)) for id_, found in by_customer.items()]
        self.bus.publish([event for decision in decisions for event in decision.events])
        for decision in decisions:
            decision, stored = self._store(day, decision)
            if stored:  # otherwise its watches stay, so a re-run looks again
                self._move_watches(day, decision)
            run.customers += 1
            if decision.risk is not None:
                level = decision.risk.level
                run.assessed[level] += 1
                run.newly_at_risk += decision.previous_level == "low" and level in AT_RISK
                run.level_changes += level != decision.previous_level
            run.check_ins += any(event.kind == "customer.check_in_due" for event in decision.events)

    def _store(self, day: date, decision: Decision) -> tuple[Decision, bool]:
        """Save the assessment; if an activity came in since the profile was read, read and decide again."""
        latest = decision

        def save() -> Decision:
            nonlocal latest
            if latest.risk is None or self.watches.save(latest.customer_id, latest.risk, latest.last_activity_at):
                return latest
            fresh = self.watches.profile(latest.customer_id)
            latest = self.decide(day, latest.customer_id, latest.watches, fresh)
            self.bus.publish(latest.events)
            raise VersionConflict

        try:
            return retry_on_conflict(save, pause=lambda attempt: None), True
        except VersionConflict:  # still changing: its watches stay, so a re-run looks again
            return latest, False

    def decide(self, day: date, customer_id: str, watches: list[dict], profile: dict | None) -> Decision:
        """What to store, announce and watch next for one customer (no writes), from its stored profile."""
        decision = Decision(customer_id, watches)
        if profile is None or "merged_into" in profile or profile.get("status") != "active":
            return decision  # nothing to assess: its watches are dropped
        customer = Customer.model_validate(profile, context=STORED)
        signals = signals_of(customer.engagement, customer.subscriptions, day, self.zone)
        assessment = assess(signals, self.rules)
        decision.risk = ChurnRisk.model_validate(assessment.to_dict() | {"assessed_on": day})
        decision.previous_level = customer.churn_risk.level if customer.churn_risk else "low"
        decision.last_activity_at = (profile.get("engagement") or {}).get("last_activity_at")  # as stored
        decision.last_activity = signals.last_activity
        if signals.last_activity is not None:
            decision.next_idle = next_crossing(signals.last_activity, day, self.rules.thresholds_days)
        now = timestamp(self.clock())
        if decision.risk.level != decision.previous_level:
            decision.events.append(self._level_changed(customer, decision, now))
        first = self.rules.thresholds_days[0]
        idle = any(watch["kind"] == "IDLE" for watch in watches)
        if idle and signals.last_activity and signals.last_activity + timedelta(days=first) == day:
            decision.events.append(self._check_in(customer, day, first, now))
        return decision

    def _level_changed(self, customer: Customer, decision: Decision, now: str) -> DomainEvent:
        risk = decision.risk
        return DomainEvent(
            "customer.churn_risk_changed",
            # The same for every run of the day: a repeat is recognisable as one.
            event_id=f"churn_risk_changed:{customer.id}:{risk.assessed_on.isoformat()}",
            customer_id=customer.id,
            occurred_at=now,
            actor=ACTOR,
            detail={
                "level": risk.level,
                "previous_level": decision.previous_level,
                "score": risk.score,
                "reasons": [reason.code for reason in risk.reasons],
                "assessed_on": risk.assessed_on.isoformat(),
            },
        )

    def _check_in(self, customer: Customer, day: date, threshold: int, now: str) -> DomainEvent:
        return DomainEvent(
            "customer.check_in_due",
            event_id=f"check_in_due:{customer.id}:{day.isoformat()}",
            customer_id=customer.id,
            occurred_at=now,
            actor=ACTOR,
            detail={
                "last_activity_at": timestamp(customer.engagement.last_activity_at),
                "threshold_days": threshold,
                "due_on": day.isoformat(),
            },
        )

    def _move_watches(self, day: date, decision: Decision) -> None:
        for watch in decision.watches:
            if watch["watch_on"] != day.isoformat():
                continue
            if watch["kind"] == "IDLE" and decision.next_idle and decision.last_activity:
                self.watches.move_idle(
                    decision.customer_id, watch["watch_on"], decision.next_idle, decision.last_activity
                )
            elif watch["kind"] == "IDLE":
                self.watches.move_idle(decision.customer_id, watch["watch_on"], None, day)
            else:
                self.watches.clear(decision.customer_id, watch["kind"], watch["watch_on"])
