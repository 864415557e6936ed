"""The survivor's record after an undo, value by value: the merge out, what was written since in."""

from decimal import Decimal

from cis.domain.unmerging import survivor_after_undo

BEFORE = {
    "id": "S",
    "version": 3,
    "given_name": "Ada",
    "emails": [{"address": "ada@example.com", "primary": True}],
    "engagement": {"orders_count": 1, "lifetime_value": {"EUR": Decimal("10.5")}, "last_order_at": "2026-01-01"},
    "consents": {"email:marketing": {"status": "granted"}},
}
MERGED = BEFORE | {
    "version": 4,
    "birthday": "1985-12-10",
    "emails": [*BEFORE["emails"], {"address": "countess@example.org", "primary": False}],
    "engagement": {
        "orders_count": 3,
        "lifetime_value": {"EUR": Decimal("15.75"), "GBP": 4},
        "last_order_at": "2026-02-01",
        "open_tickets": 1,
    },
    "consents": {"email:marketing": {"status": "withdrawn"}, "sms:reminders": {"status": "granted"}},
}


def test_untouched_since_the_merge_it_is_exactly_as_before():
    record, problems = survivor_after_undo(BEFORE, MERGED, MERGED)
    assert record == {name: value for name, value in BEFORE.items() if name != "version"} and problems == []


def test_counters_lose_what_the_merge_added_and_keep_what_was_counted_since():
    now = MERGED | {
        "engagement": MERGED["engagement"] | {"orders_count": 4, "lifetime_value": {"EUR": Decimal("20.75"), "GBP": 4}}
    }
    now["engagement"]["last_order_at"] = "2026-03-01"
    record, _ = survivor_after_undo(BEFORE, MERGED, now)
    assert record["engagement"] == {
        "orders_count": 2,
        "lifetime_value": {"EUR": Decimal("15.50")},
        "last_order_at": "2026-03-01",  # moved since: the later order's
    }


def test_a_decision_since_stays_and_a_merged_one_goes_back():
    now = MERGED | {"consents": MERGED["consents"] | {"sms:reminders": {"status": "withdrawn"}}}
    record, problems = survivor_after_undo(BEFORE, MERGED, now)
    assert record["consents"] == {"email:marketing": {"status": "granted"}, "sms:reminders": {"status": "withdrawn"}}
    assert problems == []


def test_a_merged_value_edited_since_stays_and_is_reported_with_both_earlier_values():
    now = MERGED | {"birthday": "1985-12-11", "given_name": "Augusta"}
    record, problems = survivor_after_undo(BEFORE, MERGED, now)
    assert (record["birthday"], record["given_name"]) == ("1985-12-11", "Augusta")  # the name: not the merge's
    assert [problem.path for problem in problems] == ["birthday"]
    assert "before the merge it was nothing, the merge made it '1985-12-10'" in problems[0].problem


def test_list_items_the_merge_brought_go_and_items_added_since_stay():
    added = {"address": "new@example.com", "primary": False, "label": None}
    now = MERGED | {"emails": [*MERGED["emails"], added]}
    record, problems = survivor_after_undo(BEFORE, MERGED, now)
    assert record["emails"] == [BEFORE["emails"][0], added] and problems == []
