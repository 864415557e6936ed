"""After each write: its domain event on the local bus, and its entry in the customer's history."""

import json

import pytest
from cis.topology import Role

from .conftest import Client
from .test_timeline_http import new_customer, record

S, M = Role.SUPPORT, Role.MARKETING


@pytest.fixture
def as_role(quiet_api):
    return lambda *roles: Client(quiet_api.url, list(roles))


def test_each_committed_write_puts_its_event_on_the_bus_and_its_entry_in_the_history(as_role, unique, bus_events):
    support = as_role(S)
    cid = new_customer(support, unique)
    assert support.patch(f"/v1/customers/{cid}", json={"family_name": "Stone"}).status_code == 200
    record(support, cid, {"type": "order", "external_order_id": f"o-{unique}", "amount": "5", "currency": "EUR"})
    as_role(M).put(f"/v1/customers/{cid}/consents/email/marketing", json={"status": "withdrawn", "source": "link"})
    assert support.delete(f"/v1/customers/{cid}").status_code == 204

    events = bus_events(cid, want=5)
    kinds = [event["detail-type"] for event in events]
    assert sorted(kinds) == sorted(
        ["customer.created", "customer.updated", "interaction.recorded", "consent.changed", "customer.archived"]
    )
    assert len({event["detail"]["event_id"] for event in events}) == 5  # each carries its de-duplication id
    assert all(event["source"] == "cis" for event in events)
    assert f"tim.{unique}@example.com" not in json.dumps(events)  # no contact data in events

    history = support.get(f"/v1/customers/{cid}/history").json()["items"]
    assert [entry["event"] for entry in history][:1] == ["customer.archived"]
    update = next(entry for entry in history if entry["event"] == "customer.updated")
    assert update["actor"] == "staff:dev-support"
    assert update["changes"] == [{"field": "family_name", "before": None, "after": "Stone"}]


def test_a_failed_write_sends_no_event(as_role, unique, bus_events):
    support = as_role(S)
    cid = new_customer(support, unique)
    clash = support.post(
        "/v1/customers", json={"given_name": "X", "emails": [{"address": f"tim.{unique}@example.com"}]}
    )
    assert clash.status_code == 409
    stale = support.patch(f"/v1/customers/{cid}", json={"locale": "en-GB"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert [event["detail-type"] for event in bus_events(cid, want=1)] == ["customer.created"]
    # The created event is through, so the 409 and 412 (written before it was read) had their chance.
    events = bus_events(cid, want=2, timeout_s=3)
    assert [event["detail-type"] for event in events] == ["customer.created"]
    # A cancelled transaction leaves the stream flowing (moto replaces the shard on a rollback).
    assert support.patch(f"/v1/customers/{cid}", json={"locale": "en-GB"}).status_code == 200
    assert [event["detail-type"] for event in bus_events(cid, want=2)] == ["customer.created", "customer.updated"]
