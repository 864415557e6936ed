"""How long each kind of personal data is kept: from cdk.json's `retention`, checked at synth."""

from datetime import UTC, datetime

import pytest
from cis.domain.retention import RetentionRules, entry_expiry, expiry, parse_retention

AT = datetime(2026, 12, 1, tzinfo=UTC)


def test_each_entry_type_expires_after_its_kinds_days_and_consent_entries_are_kept():
    rules = RetentionRules(activities_days=10, orders_days=3650)
    assert entry_expiry("activity", AT, rules) == int(AT.timestamp()) + 10 * 86400
    assert entry_expiry("order", AT, rules) == int(AT.timestamp()) + 3650 * 86400
    assert entry_expiry("note", AT, rules) == entry_expiry("ticket", AT, rules)  # support's record
    assert entry_expiry("consent", AT, rules) is None  # the proof of consent is kept
    assert expiry("audit_days", AT, rules) == int(AT.timestamp()) + rules.audit_days * 86400


@pytest.mark.parametrize(("raw", "problem"), [({"orders_days": 0}, "orders_days"), ({"profiles": 5}, "profiles")])
def test_a_wrong_retention_names_the_field(raw, problem):
    with pytest.raises(ValueError, match=problem):
        parse_retention(raw)
    assert parse_retention(None) == RetentionRules() == parse_retention("")
