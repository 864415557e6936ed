"""Churn risk: a score from 0 to 100, a level, and the reasons behind it, each with its numbers.

Every rule reads one signal the profile already keeps (engagement counters, tickets, ratings,
subscriptions), fires or not, and adds its points; the score is their sum, at most 100. The rules
and their weights are configuration (`ChurnRules`, from CIS_CHURN_RULES), so ops can tune them
without code, and the same signals with the same rules always give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, model_validator

from cis.domain.engagement import Engagement, week_of
from cis.domain.model import Model
from cis.domain.risk import ChurnRisk as ChurnRisk  # its home until it had its own module

LEVELS = ("low", "medium", "high")


Weight = Annotated[int, Field(ge=0, le=100, description="Points the rule adds when it fires; 0 turns it off")]


class _Rule(Model):
    model_config = ConfigDict(extra="forbid")
    weight: Weight


class InactiveRule(_Rule):
    """Quiet for much longer than this customer usually is (and for at least `min_days`)."""

    weight: Weight = 35
    times_usual_gap: float = Field(default=2.0, gt=1)
    min_days: int = Field(default=14, ge=1)
    # A customer with too little history has no usual gap: this one stands in for it.
    default_gap_days: float = Field(default=14.0, gt=0)
    # A customer who came back from a break at least this long before (a seasonal customer) is not
    # counted inactive until the present spell is longer than that break.
    known_break_days: int = Field(default=56, ge=1)


class DropRule(_Rule):
    """The recent 30-day rate fell by at least `drop` against the 30-day rate of the span before it."""

    weight: Weight = 20
    drop: float = Field(default=0.5, gt=0, le=1)
    min_before: int = Field(default=3, ge=1, description="Fewer in the 90 days before: too little to compare")


class CountRule(_Rule):
    at_least: int = Field(default=1, ge=1)


class RecentRule(_Rule):
    within_days: int = Field(default=30, ge=1)


class RatingRule(_Rule):
    weight: Weight = 15
    rating_at_most: int = Field(default=2, ge=1, le=5)
    nps_at_most: int = Field(default=6, ge=0, le=10)  # 0-6: an NPS detractor


class ChurnRules(Model):
    """The whole configuration. Every rule is optional in the JSON: what is left out keeps its default;
    a weight of 0 turns a rule off."""

    model_config = ConfigDict(extra="forbid")
    medium_at: int = Field(default=30, ge=1, le=100)
    high_at: int = Field(default=60, ge=1, le=100)
    # Made when a ChurnRules is: an instance as a default would build each rule's model at import.
    inactive: InactiveRule = Field(default_factory=InactiveRule)
    activity_drop: DropRule = Field(default_factory=DropRule)
    order_drop: DropRule = Field(default_factory=lambda: DropRule(weight=15, min_before=2))
    open_tickets: CountRule = Field(default_factory=lambda: CountRule(weight=10))
    ticket_reopened: RecentRule = Field(default_factory=lambda: RecentRule(weight=10, within_days=30))
    low_rating: RatingRule = Field(default_factory=RatingRule)
    subscription_ended: RecentRule = Field(default_factory=lambda: RecentRule(weight=25, within_days=90))
    auto_renew_off: _Rule = Field(default_factory=lambda: _Rule(weight=15))
    failed_payments: CountRule = Field(default_factory=lambda: CountRule(weight=20))
    # Inactivity thresholds: the days on which the daily job looks at a quiet customer again.
    thresholds_days: tuple[int, ...] = (14, 30, 60)

    @model_validator(mode="after")
    def _ordered(self) -> ChurnRules:
        if self.medium_at >= self.high_at:
            raise ValueError("medium_at must be below high_at")
        if not self.thresholds_days or list(self.thresholds_days) != sorted(set(self.thresholds_days)):
            raise ValueError("thresholds_days must be rising whole days, e.g. [14, 30, 60]")
        return self


@dataclass(frozen=True)
class Signals:
    """What the profile says about one customer on `today` (the job derives it; tests build it)."""

    today: date
    last_activity: date | None = None
    usual_gap_days: float | None = None  # mean days between activities, when there were enough
    longest_break_days: int = 0  # the longest quiet spell the customer came back from
    # Counts in the recent span (about the last 30 days, ending today) and in the span before it
    # (about 90 days): the profile counts per ISO week, so the spans are whole weeks (see signals_of).
    activities_recent: int = 0
    activities_before: int = 0
    orders_recent: int = 0
    orders_before: int = 0
    recent_days: int = 30
    before_days: int = 90
    open_tickets: int = 0
    last_ticket_reopened: date | None = None
    last_rating: int | None = None
    last_nps: int | None = None
    subscriptions_ended: tuple[tuple[str, str, date], ...] = ()  # (id, status, when) cancelled or paused
    auto_renew_off: tuple[str, ...] = ()  # active subscriptions that will not renew by themselves
    failed_payments_last_90: int = 0


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    numbers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Assessment:
    score: int
    level: str
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "level": self.level,
            "reasons": [{"code": r.code, "points": r.points, **r.numbers} for r in self.reasons],
        }


def level_of(score: int, rules: ChurnRules) -> str:
    return "high" if score >= rules.high_at else "medium" if score >= rules.medium_at else "low"


def _inactive(s: Signals, rule: InactiveRule) -> Reason | None:
    if s.last_activity is None:
        return None
    quiet = (s.today - s.last_activity).days
    if s.longest_break_days >= rule.known_break_days and quiet <= s.longest_break_days:
        return None  # quiet like this before, and came back: their season, not a farewell
    usual = s.usual_gap_days or rule.default_gap_days
    limit = max(rule.min_days, rule.times_usual_gap * usual)
    if quiet < limit:
        return None
    return Reason("inactive", rule.weight, {"days_since_activity": quiet, "usual_gap_days": round(usual, 1)})


def _drop(code: str, recent: int, before: int, s: Signals, rule: DropRule) -> Reason | None:
    if before < rule.min_before:
        return None
    monthly_now, monthly_before = recent * 30 / s.recent_days, before * 30 / s.before_days
    if monthly_now > monthly_before * (1 - rule.drop):
        return None
    numbers = {"recent": recent, "recent_days": s.recent_days, "monthly_before": round(monthly_before, 1)}
    return Reason(code, rule.weight, numbers | {"drop": round(1 - monthly_now / monthly_before, 2)})


def assess(s: Signals, rules: ChurnRules) -> Assessment:
    """The score, level and reasons, strongest reason first (ties by code, so the order is stable)."""
    found: list[Reason | None] = [
        _inactive(s, rules.inactive),
        _drop("activity_drop", s.activities_recent, s.activities_before, s, rules.activity_drop),
        _drop("order_drop", s.orders_recent, s.orders_before, s, rules.order_drop),
    ]
    if s.open_tickets >= rules.open_tickets.at_least:
        found.append(Reason("open_tickets", rules.open_tickets.weight, {"open_tickets": s.open_tickets}))
    if s.last_ticket_reopened and (s.today - s.last_ticket_reopened).days <= rules.ticket_reopened.within_days:
        days = (s.today - s.last_ticket_reopened).days
        found.append(Reason("ticket_reopened", rules.ticket_reopened.weight, {"days_since_reopened": days}))
    rating = rules.low_rating
    if s.last_rating is not None and s.last_rating <= rating.rating_at_most:
        found.append(Reason("low_rating", rating.weight, {"last_rating": s.last_rating}))
    elif s.last_nps is not None and s.last_nps <= rating.nps_at_most:
        found.append(Reason("low_rating", rating.weight, {"last_nps": s.last_nps}))
    ended = [
        (id_, status, (s.today - when).days)
        for id_, status, when in s.subscriptions_ended
        if (s.today - when).days <= rules.subscription_ended.within_days
    ]
    if ended:
        id_, status, days = min(ended, key=lambda e: e[2])
        numbers = {"subscription_id": id_, "status": status, "days_ago": days}
        found.append(Reason("subscription_ended", rules.subscription_ended.weight, numbers))
    if s.auto_renew_off:
        numbers = {"subscription_ids": sorted(s.auto_renew_off)}
        found.append(Reason("auto_renew_off", rules.auto_renew_off.weight, numbers))
    if s.failed_payments_last_90 >= rules.failed_payments.at_least:
        numbers = {"failed_payments_90_days": s.failed_payments_last_90}
        found.append(Reason("failed_payments", rules.failed_payments.weight, numbers))

    reasons = tuple(sorted((r for r in found if r and r.points), key=lambda r: (-r.points, r.code)))
    score = min(100, sum(r.points for r in reasons))
    return Assessment(score, level_of(score, rules), reasons)


def parse_rules(raw: str | dict | None) -> ChurnRules:
    """From CIS_CHURN_RULES (JSON) or cdk.json context; None or empty: the defaults."""
    if not raw:
        return ChurnRules()
    return ChurnRules.model_validate_json(raw) if isinstance(raw, str) else ChurnRules.model_validate(raw)


# -- signals from the profile ------------------------------------------------------------------
UTC_ZONE = ZoneInfo("UTC")
RECENT_WEEKS, BEFORE_WEEKS = 4, 12  # about 30 days ending today, and the 90 days before them
FAILED_PAYMENT_WEEKS = 13


def _weeks(today: date, skip: int, count: int) -> list[str]:
    """ISO week labels: `count` weeks, going back from the week `skip` weeks before today's."""
    monday = today - timedelta(days=today.weekday())
    return [week_of(monday - timedelta(weeks=skip + number)) for number in range(count)]


def _monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def _sum(counts: dict[str, int], weeks: list[str]) -> int:
    return sum(int(counts.get(week, 0)) for week in weeks)


def _day(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment else None


def signals_of(
    engagement: Engagement | None, subscriptions: dict | None, today: date, zone: ZoneInfo = UTC_ZONE
) -> Signals:
    """The signals the rules read, from what the profile keeps. The recent span is this ISO week so
    far plus the 3 before it; the span before is the 12 weeks before those (84 days)."""
    e = engagement or Engagement()
    recent, before = _weeks(today, 0, RECENT_WEEKS), _weeks(today, RECENT_WEEKS, BEFORE_WEEKS)
    first, last = _day(e.first_seen_at, zone), _day(e.last_activity_at, zone)
    activities = sum(int(count) for count in e.activity_weeks.values())
    usual = (last - first).days / (activities - 1) if first and last and activities >= 3 else None
    mondays = sorted(_monday(week) for week, count in e.activity_weeks.items() if int(count))
    # Measured between the Mondays of active weeks: a week too long at most, never too short.
    breaks = [(later - earlier).days - 7 for earlier, later in pairwise(mondays)]
    ended, renew_off = [], []
    for subscription in (subscriptions or {}).values():
        if subscription.status in ("cancelled", "paused"):
            ended.append((subscription.id, str(subscription.status), _day(subscription.updated_at, zone)))
        elif subscription.status == "active" and not subscription.auto_renew:
            renew_off.append(subscription.id)
    return Signals(
        today=today,
        last_activity=last,
        usual_gap_days=usual or None,
        longest_break_days=max(breaks, default=0),
        activities_recent=_sum(e.activity_weeks, recent),
        activities_before=_sum(e.activity_weeks, before),
        orders_recent=_sum(e.order_weeks, recent),
        orders_before=_sum(e.order_weeks, before),
        recent_days=7 * (RECENT_WEEKS - 1) + today.weekday() + 1,
        before_days=7 * BEFORE_WEEKS,
        open_tickets=e.open_tickets,
        last_ticket_reopened=_day(e.last_ticket_reopened_at, zone),
        last_rating=e.last_rating,
        last_nps=e.last_nps,
        subscriptions_ended=tuple(ended),
        auto_renew_off=tuple(renew_off),
        failed_payments_last_90=_sum(e.failed_payment_weeks, _weeks(today, 0, FAILED_PAYMENT_WEEKS)),
    )


# -- when to look at a customer again ----------------------------------------------------------
def next_crossing(last_activity: date, after: date, thresholds: tuple[int, ...]) -> tuple[date, int] | None:
    """The first inactivity threshold the customer crosses after `after`: (that day, its days)."""
    for days in thresholds:
        if last_activity + timedelta(days=days) > after:
            return last_activity + timedelta(days=days), days
    return None


def watch_after_activity(last_activity: date, today: date, thresholds: tuple[int, ...]) -> tuple[date, int]:
    """Where an activity write puts the customer's idle watch. An activity recorded long after it
    happened (an import) may already be past every threshold: then the next run looks once."""
    return next_crossing(last_activity, today, thresholds) or (today + timedelta(days=1), thresholds[-1])


# Signals that can raise the risk: any change is worth a new look. Signals of a customer coming back
# (activity, orders) matter only to one at risk now; for everyone else the idle watch covers them.
_RISK_SIGNALS = ("open_tickets", "last_ticket_reopened_at", "rating_count", "last_nps", "failed_payment_weeks")
_RETURN_SIGNALS = ("last_activity_at", "order_weeks")


def _subscription_signals(profile: dict) -> dict:
    """The subscriptions the rules would count: ended ones and those not renewing by themselves (a new,
    healthy subscription changes nothing; one that comes back does)."""
    return {
        id_: (sub.get("status"), sub.get("auto_renew"))
        for id_, sub in (profile.get("subscriptions") or {}).items()
        if sub.get("status") in ("cancelled", "paused") or not sub.get("auto_renew", True)
    }


def rescore_needed(before: dict | None, after: dict | None) -> bool:
    """Whether a committed profile change (plain images) calls for a new assessment."""
    if not before or not after or "merged_into" in after or after.get("status", "active") != "active":
        return False
    was, now = before.get("engagement") or {}, after.get("engagement") or {}
    if any(was.get(name) != now.get(name) for name in _RISK_SIGNALS):
        return True
    if _subscription_signals(before) != _subscription_signals(after):
        return True
    at_risk = (after.get("churn_risk") or {}).get("level", "low") != "low"
    return at_risk and any(was.get(name) != now.get(name) for name in _RETURN_SIGNALS)
