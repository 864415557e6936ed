"""Churn risk: each rule, the levels, and the configuration ops change without code."""

from datetime import date, timedelta

import pytest
from cis.domain.churn import ChurnRules, Signals, assess, level_of, parse_rules
from pydantic import ValidationError

TODAY = date(2026, 11, 23)
RULES = ChurnRules()


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def codes(signals: Signals, rules: ChurnRules = RULES) -> list[str]:
    return [reason.code for reason in assess(signals, rules).reasons]


def test_a_regular_customer_has_no_reasons_and_a_low_score():
    regular = Signals(TODAY, last_activity=days_ago(3), usual_gap_days=5, activities_recent=6, activities_before=18)
    assert assess(regular, RULES).to_dict() == {"score": 0, "level": "low", "reasons": []}


def test_inactivity_is_measured_against_the_customers_own_usual_gap():
    weekly = Signals(TODAY, last_activity=days_ago(15), usual_gap_days=7)
    monthly = Signals(TODAY, last_activity=days_ago(15), usual_gap_days=30)
    assert codes(weekly) == ["inactive"]  # 15 days is more than twice a weekly customer's gap
    assert codes(monthly) == []  # and normal for a monthly one
    (reason,) = assess(weekly, RULES).reasons
    assert reason.numbers == {"days_since_activity": 15, "usual_gap_days": 7.0}
    assert reason.points == RULES.inactive.weight


def test_inactivity_needs_at_least_the_minimum_days_even_for_a_daily_customer():
    daily = Signals(TODAY, last_activity=days_ago(5), usual_gap_days=1)
    assert codes(daily) == []
    assert codes(Signals(TODAY, last_activity=days_ago(14), usual_gap_days=1)) == ["inactive"]


def test_without_enough_history_the_default_gap_stands_in():
    assert codes(Signals(TODAY, last_activity=days_ago(27))) == []
    assert codes(Signals(TODAY, last_activity=days_ago(28))) == ["inactive"]  # 2 x the 14-day default


def test_an_activity_drop_compares_the_last_30_days_with_the_monthly_rate_before():
    fading = Signals(TODAY, activities_recent=2, activities_before=12)  # 2 against 4 a month: -50%
    steady = Signals(TODAY, activities_recent=3, activities_before=12)
    assert codes(fading) == ["activity_drop"] and codes(steady) == []
    (reason,) = assess(fading, RULES).reasons
    assert reason.numbers == {"recent": 2, "recent_days": 30, "monthly_before": 4.0, "drop": 0.5}


def test_too_little_history_is_not_a_drop():
    assert codes(Signals(TODAY, activities_recent=0, activities_before=2)) == []
    assert codes(Signals(TODAY, orders_recent=0, orders_before=1)) == []
    assert codes(Signals(TODAY, orders_recent=0, orders_before=2)) == ["order_drop"]


def test_open_and_recently_reopened_tickets():
    assert codes(Signals(TODAY, open_tickets=2)) == ["open_tickets"]
    assert codes(Signals(TODAY, open_tickets=1, last_ticket_reopened=days_ago(3))) == [
        "open_tickets",
        "ticket_reopened",
    ]
    assert codes(Signals(TODAY, last_ticket_reopened=days_ago(31))) == []


def test_a_low_rating_or_a_detractor_nps():
    assert codes(Signals(TODAY, last_rating=2)) == ["low_rating"]
    assert codes(Signals(TODAY, last_rating=3)) == []
    assert codes(Signals(TODAY, last_nps=6)) == ["low_rating"]
    assert codes(Signals(TODAY, last_nps=7)) == []


def test_a_recently_cancelled_or_paused_subscription_names_the_latest():
    ended = (("sub-old", "cancelled", days_ago(40)), ("sub-new", "paused", days_ago(4)))
    (reason,) = assess(Signals(TODAY, subscriptions_ended=ended), RULES).reasons
    assert (reason.code, reason.numbers) == (
        "subscription_ended",
        {"subscription_id": "sub-new", "status": "paused", "days_ago": 4},
    )
    assert codes(Signals(TODAY, subscriptions_ended=(("s", "cancelled", days_ago(91)),))) == []


def test_auto_renew_switched_off_and_failed_payments():
    assert codes(Signals(TODAY, auto_renew_off=("s2", "s1"))) == ["auto_renew_off"]
    (reason,) = assess(Signals(TODAY, auto_renew_off=("s2", "s1")), RULES).reasons
    assert reason.numbers == {"subscription_ids": ["s1", "s2"]}
    assert codes(Signals(TODAY, failed_payments_last_90=1)) == ["failed_payments"]


def test_the_score_is_the_sum_of_the_reasons_capped_at_100_strongest_reason_first():
    everything = Signals(
        TODAY,
        last_activity=days_ago(60),
        usual_gap_days=7,
        activities_recent=0,
        activities_before=12,
        orders_recent=0,
        orders_before=6,
        open_tickets=1,
        last_rating=1,
        subscriptions_ended=(("s", "cancelled", days_ago(2)),),
        failed_payments_last_90=2,
    )
    assessment = assess(everything, RULES)
    assert assessment.score == 100 and assessment.level == "high"
    points = [reason.points for reason in assessment.reasons]
    assert points == sorted(points, reverse=True) and sum(points) > 100
    assert assess(everything, RULES) == assessment  # deterministic


def test_levels_follow_the_configured_thresholds():
    assert [level_of(score, RULES) for score in (0, 29, 30, 59, 60, 100)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]
    strict = parse_rules({"medium_at": 10, "high_at": 20})
    assert assess(Signals(TODAY, open_tickets=1), strict).level == "medium"


def test_ops_change_weights_without_code_and_a_zero_weight_turns_a_rule_off():
    rules = parse_rules('{"open_tickets": {"weight": 0}, "failed_payments": {"weight": 45}}')
    signals = Signals(TODAY, open_tickets=3, failed_payments_last_90=1)
    assert [(r.code, r.points) for r in assess(signals, rules).reasons] == [("failed_payments", 45)]
    assert parse_rules(None) == parse_rules("") == ChurnRules()


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"medium_at": 70, "high_at": 60}, "medium_at"),
        ({"open_tickets": {"wieght": 10}}, "wieght"),
        ({"inactive": {"times_usual_gap": 0.5}}, "times_usual_gap"),
        ({"thresholds_days": [30, 14]}, "thresholds_days"),
    ],
)
def test_a_configuration_mistake_is_refused_naming_the_field(bad, field):
    with pytest.raises(ValidationError, match=field):
        parse_rules(bad)
