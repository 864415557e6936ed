"""What erasure keeps of each thing it touches: decided on plain values, without AWS."""

from datetime import UTC, datetime

from cis.domain.erasure import ERASED_VALUE, ErasedItems, Erasure, kept_entry, scrubbed_changes, tombstone

ORDER = {
    "entity": "interaction",
    "id": "01J0RDER0000000000000000000",
    "customer_id": "01JCUST0000000000000000000A",
    "type": "order",
    "external_order_id": "o-1",
    "amount": "42.50",
    "currency": "EUR",
    "line_items": [{"product_id": "p-1", "quantity": 2}],
    "occurred_at": "2026-11-30T10:00:00Z",
    "recorded_by": "staff:ann",
    "notes": "deliver to Grace at 5 Main St",
}


def test_an_order_keeps_its_facts_and_nothing_about_the_person():
    kept = kept_entry(ORDER, keep_orders=True)
    assert kept["amount"] == "42.50" and kept["line_items"] == ORDER["line_items"]
    assert "notes" not in kept and "recorded_by" not in kept


def test_without_bookkeeping_and_for_every_other_entry_nothing_is_kept():
    assert kept_entry(ORDER, keep_orders=False) is None
    assert kept_entry({"type": "ticket", "subject": "Grace called"}, keep_orders=True) is None


def test_an_audit_entry_keeps_which_field_changed_and_loses_the_values():
    changes = [{"field": "emails", "before": None, "after": [{"address": "g@example.com"}]}, {"field": "status"}]
    assert scrubbed_changes(changes) == [
        {"field": "emails", "before": None, "after": ERASED_VALUE},
        {"field": "status"},
    ]


def test_the_tombstone_holds_who_was_erased_when_by_whom_and_why_and_no_field_of_the_person():
    profile = {
        "id": "01JCUST0000000000000000000A",
        "version": 7,
        "created_at": "2026-01-01T00:00:00Z",
        "created_by": "staff:ann",
        "given_name": "Grace",
        "emails": [{"address": "g@example.com"}],
        "birthday": "1906-12-09",
    }
    at = datetime(2026, 12, 1, tzinfo=UTC)
    erasure = Erasure(
        customer_id=profile["id"],
        erased_at=at,
        erased_by="staff:admin",
        legal_basis="objection",
        reason="DSR 77",
        customers=[profile["id"]],
        items=ErasedItems(),
    )
    stone = tombstone(profile, erasure)
    assert (stone["status"], stone["version"], stone["legal_basis"]) == ("erased", 8, "objection")
    assert not {"given_name", "emails", "birthday"} & stone.keys()
