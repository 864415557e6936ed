"""Which committed changes become which domain events and audit entries (no AWS)."""

from cis.domain.changes import ItemChange, interpret

PROFILE = {
    "entity": "customer",
    "id": "C1",
    "version": 1,
    "status": "active",
    "given_name": "Ada",
    "emails": [{"address": "ada@example.com", "primary": True}],
    "created_at": "2026-01-01T00:00:00Z",
    "created_by": "staff:a",
    "updated_at": "2026-01-01T00:00:00Z",
    "updated_by": "staff:a",
    "engagement": {"orders_count": 0},
    "consents": {},
}


def change(before, after):
    return interpret(ItemChange("ev-1", before, after))


def test_a_new_profile_is_customer_created_naming_fields_but_carrying_no_contact_data():
    event = change(None, PROFILE)
    assert (event.kind, event.customer_id, event.actor, event.event_id) == ("customer.created", "C1", "staff:a", "ev-1")
    assert "ada@example.com" not in str(event.detail)
    assert set(event.detail["fields"]) == {"given_name", "emails"}


def test_an_edit_is_customer_updated_with_a_before_after_diff_of_every_changed_field():
    after = PROFILE | {"version": 2, "given_name": "Ada L.", "locale": "en-GB", "updated_by": "staff:b"}
    event = change(PROFILE, after)
    assert event.kind == "customer.updated" and event.actor == "staff:b"
    assert event.audit == {
        "given_name": {"before": "Ada", "after": "Ada L."},
        "locale": {"before": None, "after": "en-GB"},
    }
    assert event.detail["changed_fields"] == ["given_name", "locale"]


def test_archiving_is_customer_archived():
    event = change(PROFILE, PROFILE | {"version": 2, "status": "archived"})
    assert event.kind == "customer.archived" and event.audit == {"status": {"before": "active", "after": "archived"}}


def test_engagement_and_consent_bookkeeping_on_the_profile_is_not_a_customer_update():
    assert change(PROFILE, PROFILE | {"engagement": {"orders_count": 1}}) is None


def test_lookup_order_and_audit_items_raise_no_event():
    for entity in ("lookup", "order_key", "consent", "audit", None):
        assert change(None, {"entity": entity, "id": "x"}) is None


def test_a_new_timeline_entry_is_interaction_recorded():
    entry = {
        "entity": "interaction",
        "id": "E1",
        "customer_id": "C1",
        "type": "order",
        "external_order_id": "o-1",
        "status": "paid",
        "occurred_at": "2026-01-02T00:00:00Z",
        "recorded_at": "2026-01-02T00:00:01Z",
        "recorded_by": "staff:s",
        "amount": "10",
    }
    event = change(None, entry)
    assert event.kind == "interaction.recorded"
    assert event.detail == {
        "interaction_id": "E1",
        "interaction_type": "order",
        "external_order_id": "o-1",
        "status": "paid",
    }


def test_a_consent_entry_is_consent_changed():
    entry = {
        "entity": "interaction",
        "id": "E2",
        "customer_id": "C1",
        "type": "consent",
        "channel": "email",
        "purpose": "marketing",
        "status": "withdrawn",
        "legal_basis": "consent",
        "source": "link",
        "occurred_at": "2026-01-02T00:00:00Z",
        "recorded_at": "2026-01-02T00:00:00Z",
        "recorded_by": "staff:m",
    }
    event = change(None, entry)
    assert event.kind == "consent.changed" and event.detail["status"] == "withdrawn"


def test_a_ticket_status_change_is_interaction_updated_with_its_diff():
    ticket = {
        "entity": "interaction",
        "id": "E3",
        "customer_id": "C1",
        "type": "ticket",
        "status": "open",
        "priority": "high",
        "occurred_at": "t",
        "recorded_at": "t",
        "recorded_by": "staff:s",
    }
    event = change(ticket, ticket | {"status": "solved", "updated_at": "u", "updated_by": "staff:t"})
    assert event.kind == "interaction.updated" and event.audit == {"status": {"before": "open", "after": "solved"}}


def test_the_source_of_a_change_is_the_api_for_staff_and_the_named_system_otherwise():
    assert change(None, PROFILE).source == "api"
    assert change(None, PROFILE | {"created_by": "system:demo-data"}).source == "demo-data"
