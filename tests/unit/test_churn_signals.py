"""From the profile to the rules' signals, when to look at a customer again, and which changes call for it."""

from datetime import UTC, date, datetime, timedelta

from cis.domain.churn import (
    ChurnRules,
    Signals,
    assess,
    next_crossing,
    rescore_needed,
    signals_of,
    watch_after_activity,
)
from cis.domain.engagement import Engagement, week_of
from cis.domain.subscriptions import Subscription

TODAY = date(2026, 11, 25)  # a Wednesday: this ISO week has 3 days so far
THRESHOLDS = (14, 30, 60)


def moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def weeks_ago(count: int) -> str:
    return week_of(TODAY - timedelta(weeks=count))


def test_recent_and_earlier_counts_come_from_whole_iso_weeks_with_their_real_lengths():
    engagement = Engagement(
        activity_weeks={weeks_ago(0): 2, weeks_ago(3): 1, weeks_ago(4): 5, weeks_ago(15): 4, weeks_ago(16): 9},
        order_weeks={weeks_ago(1): 1, weeks_ago(10): 3},
        failed_payment_weeks={weeks_ago(12): 1, weeks_ago(13): 1},
    )
    signals = signals_of(engagement, {}, TODAY)
    assert (signals.activities_recent, signals.activities_before) == (3, 9)  # weeks 0-3 | 4-15; 16 is out
    assert (signals.orders_recent, signals.orders_before) == (1, 3)
    assert (signals.recent_days, signals.before_days) == (24, 84)  # 3 full weeks + Mon-Wed | 12 weeks
    assert signals.failed_payments_last_90 == 1  # 13 weeks back, this one included


def test_the_usual_gap_is_the_mean_time_between_activities_and_needs_three_of_them():
    first, last = TODAY - timedelta(days=40), TODAY - timedelta(days=10)
    regular = Engagement(first_seen_at=moment(first), last_activity_at=moment(last), activity_weeks={"2026-W40": 7})
    assert signals_of(regular, {}, TODAY).usual_gap_days == 5.0  # 30 days, 6 gaps
    few = regular.model_copy(update={"activity_weeks": {"2026-W40": 2}})
    assert signals_of(few, {}, TODAY).usual_gap_days is None


def test_a_long_break_the_customer_came_back_from_excuses_a_quiet_spell_as_long():
    weeks = {weeks_ago(40): 3, weeks_ago(39): 2, weeks_ago(15): 4, weeks_ago(14): 1}  # away 24 weeks, came back
    engagement = Engagement(
        first_seen_at=moment(TODAY - timedelta(weeks=40)),
        last_activity_at=moment(TODAY - timedelta(weeks=14)),
        activity_weeks=weeks,
    )
    signals = signals_of(engagement, {}, TODAY)
    assert signals.longest_break_days == 24 * 7 - 7  # between active weeks, not counting the weeks themselves
    assert "inactive" not in [r.code for r in assess(signals, ChurnRules()).reasons]  # 98 days: shorter than then
    later = Signals(TODAY + timedelta(days=80), last_activity=signals.last_activity, longest_break_days=161)
    assert [r.code for r in assess(later, ChurnRules()).reasons] == ["inactive"]  # 178 days: longer than ever


def test_cancelled_or_paused_subscriptions_and_auto_renew_off_are_read_from_the_profile():
    base = {
        "customer_id": "01J00000000000000000000000",
        "plan": "gym",
        "renews_at": date(2027, 1, 1),
        "price": "9.90",
        "currency": "EUR",
        "started_at": moment(date(2026, 1, 1)),
        "version": 2,
        "created_at": moment(date(2026, 1, 1)),
        "created_by": "staff:a",
        "updated_at": moment(TODAY - timedelta(days=5)),
        "updated_by": "staff:a",
    }
    subscriptions = {
        "S1": Subscription(id="S1", status="cancelled", **base),
        "S2": Subscription(id="S2", auto_renew=False, **base),
        "S3": Subscription(id="S3", **base),
    }
    signals = signals_of(None, subscriptions, TODAY)
    assert signals.subscriptions_ended == (("S1", "cancelled", TODAY - timedelta(days=5)),)
    assert signals.auto_renew_off == ("S2",)


def test_the_next_crossing_is_the_first_threshold_after_the_day_then_none():
    last = date(2026, 11, 1)
    assert next_crossing(last, last, THRESHOLDS) == (date(2026, 11, 15), 14)
    assert next_crossing(last, date(2026, 11, 15), THRESHOLDS) == (date(2026, 12, 1), 30)
    assert next_crossing(last, date(2026, 12, 31), THRESHOLDS) is None


def test_an_activity_past_every_threshold_is_watched_on_the_next_run():
    assert watch_after_activity(date(2026, 11, 23), date(2026, 11, 23), THRESHOLDS) == (date(2026, 12, 7), 14)
    assert watch_after_activity(date(2026, 1, 2), date(2026, 11, 23), THRESHOLDS) == (date(2026, 11, 24), 60)


def profile(**engagement) -> dict:
    return {"id": "C1", "status": "active", "engagement": {"open_tickets": 0} | engagement}


def test_risk_signals_always_call_for_a_new_look_and_activity_only_for_a_customer_at_risk():
    before = profile(last_activity_at="2026-11-01T10:00:00.000000Z")
    assert rescore_needed(before, profile(last_activity_at="2026-11-01T10:00:00.000000Z", open_tickets=1))
    assert rescore_needed(before, before | {"engagement": before["engagement"] | {"last_nps": 3}})
    active_again = profile(last_activity_at="2026-11-20T10:00:00.000000Z")
    assert not rescore_needed(before, active_again)
    at_risk = {"churn_risk": {"level": "high"}}
    assert rescore_needed(before | at_risk, active_again | at_risk)
    assert not rescore_needed(before, before | {"churn_risk": {"level": "high", "score": 70}})  # the job's write


def test_a_subscription_status_or_auto_renew_change_calls_for_a_new_look_but_not_for_the_departed():
    before = profile() | {"subscriptions": {"S1": {"status": "active", "auto_renew": True}}}
    off = profile() | {"subscriptions": {"S1": {"status": "active", "auto_renew": False}}}
    assert rescore_needed(before, off)
    assert not rescore_needed(before, off | {"status": "archived"})
    assert not rescore_needed(before, off | {"merged_into": "C2"})
    assert not rescore_needed(None, off)  # a new customer has nothing to look at yet
    another = {"subscriptions": before["subscriptions"] | {"S2": {"status": "active", "auto_renew": True}}}
    assert not rescore_needed(before, profile() | another)  # a new, healthy subscription
