"""A merged customer's engagement: counts add up, per currency and per week; moments keep the extremes."""

from decimal import Decimal

from cis.domain.merging import combined_engagement


def test_weekly_counts_and_lifetime_value_add_up_by_key_and_moments_keep_the_extremes():
    survivor = {
        "engagement": {
            "orders_count": 2,
            "lifetime_value": {"EUR": Decimal("10.50")},
            "activity_weeks": {"2026-W47": 3, "2026-W46": 1},
            "order_weeks": {"2026-W47": 2},
            "failed_payment_weeks": {},
            "first_seen_at": "2025-01-01T00:00:00Z",
            "last_activity_at": "2026-11-20T00:00:00Z",
        }
    }
    other = {
        "engagement": {
            "orders_count": 1,
            "lifetime_value": {"EUR": Decimal("1.25"), "USD": Decimal("4")},
            "activity_weeks": {"2026-W47": 1, "2026-W30": 2},
            "failed_payment_weeks": {"2026-W30": 1},
            "first_seen_at": "2024-06-01T00:00:00Z",
            "last_activity_at": "2026-07-25T00:00:00Z",
        }
    }
    combined = combined_engagement([survivor, other])
    assert combined["orders_count"] == 3
    assert combined["lifetime_value"] == {"EUR": Decimal("11.75"), "USD": Decimal("4")}
    assert combined["activity_weeks"] == {"2026-W47": 4, "2026-W46": 1, "2026-W30": 2}
    assert combined["order_weeks"] == {"2026-W47": 2}
    assert combined["failed_payment_weeks"] == {"2026-W30": 1}
    assert (combined["first_seen_at"], combined["last_activity_at"]) == ("2024-06-01T00:00:00Z", "2026-11-20T00:00:00Z")
