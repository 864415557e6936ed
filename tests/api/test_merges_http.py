"""Merging over HTTP: the merged id points to the survivor, events tell the bus, undo brings it back."""

from decimal import Decimal

import pytest
from cis.topology import Role

from .conftest import Client

S, M, A = Role.SUPPORT, Role.MARKETING, Role.ADMIN


@pytest.fixture
def as_role(quiet_api):
    return lambda *roles: Client(quiet_api.url, list(roles))


def create(client: Client, body: dict) -> str:
    response = client.post("/v1/customers", params={"allow_duplicate": "true"}, json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_merge_points_the_merged_id_to_the_survivor_and_undo_restores_it(as_role, unique, bus_events):
    support = as_role(S)
    survivor = create(support, {"given_name": "Ada", "emails": [{"address": f"ada.{unique}@example.com"}]})
    merged = create(support, {"given_name": "Ada", "emails": [{"address": f"countess.{unique}@example.org"}]})
    support.post(
        f"/v1/customers/{merged}/interactions", json={"type": "note", "text": "Prefers letters"}
    ).raise_for_status()

    response = support.post(f"/v1/customers/{survivor}/merge", json={"merge_ids": [merged]})
    assert response.status_code == 200, response.text
    log = response.json()
    assert (log["status"], log["survivor_id"], log["merged_ids"]) == ("done", survivor, [merged])

    gone = support.get(f"/v1/customers/{merged}")
    assert gone.status_code == 410
    assert gone.json()["error"] | {"message": ""} == {
        "code": "merged",
        "message": "",
        "fields": [],
        "merged_into": survivor,
        "merge_id": log["merge_id"],
    }
    emails = [e["address"] for e in support.get(f"/v1/customers/{survivor}").json()["emails"]]
    assert emails == [f"ada.{unique}@example.com", f"countess.{unique}@example.org"]
    notes = support.get(f"/v1/customers/{survivor}/timeline", params={"type": "note"}).json()["items"]
    assert [note["text"] for note in notes] == ["Prefers letters"]
    assert as_role(M).get(f"/v1/merges/{log['merge_id']}").json()["status"] == "done"

    undone = support.post(f"/v1/merges/{log['merge_id']}/undo")
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    assert support.get(f"/v1/customers/{merged}").status_code == 200
    assert len(support.get(f"/v1/customers/{survivor}").json()["emails"]) == 1

    kinds = [event["detail-type"] for event in bus_events(survivor, want=5)]
    # The copied note is told by customer.merged, not announced as a new interaction.
    assert sorted(kinds) == sorted(
        ["customer.created", "customer.updated", "customer.merged", "customer.updated", "customer.unmerged"]
    )
    again = support.post(f"/v1/merges/{log['merge_id']}/undo")
    assert again.status_code == 409 and again.json()["error"]["code"] == "state"


def test_undo_after_later_writes_keeps_them_and_lists_what_it_could_not_put_back(as_role, unique):
    support, marketing = as_role(S), as_role(M)
    survivor = create(support, {"given_name": "Cy", "emails": [{"address": f"cy.{unique}@example.com"}]})
    merged = create(
        support,
        {"given_name": "Cy", "birthday": "1970-01-02", "emails": [{"address": f"cyril.{unique}@example.org"}]},
    )
    order = {"type": "order", "currency": "EUR", "external_order_id": f"a-{unique}", "amount": "5.00"}
    support.post(f"/v1/customers/{merged}/interactions", json=order).raise_for_status()
    consent = f"/v1/customers/{merged}/consents/email/marketing"
    marketing.put(consent, json={"status": "granted", "source": "web-signup", "evidence": "form v3"}).raise_for_status()
    log = support.post(f"/v1/customers/{survivor}/merge", json={"merge_ids": [merged]}).json()

    # After the merge, on the survivor: an activity, an order, a consent decision and an edited field.
    login = {"type": "activity", "activity": "login", "channel": "web"}
    support.post(f"/v1/customers/{survivor}/interactions", json=login).raise_for_status()
    later = order | {"external_order_id": f"b-{unique}", "amount": "7.00"}
    support.post(f"/v1/customers/{survivor}/interactions", json=later).raise_for_status()
    path = f"/v1/customers/{survivor}/consents/sms/reminders"
    marketing.put(path, json={"status": "granted", "source": "phone", "evidence": "call 42"}).raise_for_status()
    current = support.get(f"/v1/customers/{survivor}")
    edited = support.patch(
        f"/v1/customers/{survivor}", json={"birthday": "1970-01-03"}, headers={"If-Match": current.headers["ETag"]}
    )
    assert edited.status_code == 200, edited.text

    undone = support.post(f"/v1/merges/{log['merge_id']}/undo")
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "undone"
    assert [(item["customer_id"], item["field"]) for item in undone.json()["left_for_review"]] == [
        (survivor, "birthday")
    ]

    kept = support.get(f"/v1/customers/{survivor}").json()
    assert kept["birthday"] == "1970-01-03" and [e["address"] for e in kept["emails"]] == [f"cy.{unique}@example.com"]
    assert kept["engagement"]["orders_count"] == 1 and Decimal(kept["engagement"]["lifetime_value"]["EUR"]) == 7
    assert set(kept["consents"]) == {"sms:reminders"}
    back = support.get(f"/v1/customers/{merged}").json()
    assert back["engagement"]["orders_count"] == 1 and set(back["consents"]) == {"email:marketing"}
    orders = support.get(f"/v1/customers/{survivor}/timeline", params={"type": "order"}).json()["items"]
    assert [o["external_order_id"] for o in orders] == [f"b-{unique}"]
    activities = support.get(f"/v1/customers/{survivor}/timeline", params={"type": "activity"}).json()["items"]
    assert len(activities) == 1


def test_merging_needs_a_writer_role_and_a_valid_request(as_role, unique):
    support = as_role(S)
    survivor = create(support, {"given_name": "Bea", "emails": [{"address": f"bea.{unique}@example.com"}]})
    assert as_role(M).post(f"/v1/customers/{survivor}/merge", json={"merge_ids": [survivor]}).status_code == 403
    empty = support.post(f"/v1/customers/{survivor}/merge", json={"merge_ids": []})
    assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["path"] == "merge_ids"
    itself = support.post(f"/v1/customers/{survivor}/merge", json={"merge_ids": [survivor]})
    assert itself.status_code == 400 and itself.json()["error"]["fields"][0]["path"] == "merge_ids"
    unknown = support.post(f"/v1/customers/{survivor}/merge", json={"merge_ids": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"] == [
        {"path": "merge_ids[0]", "problem": "no customer 01ARZ3NDEKTSV4RRFFQ69G5FAV"}
    ]
    bad_rule = support.post(
        f"/v1/customers/{survivor}/merge",
        json={"merge_ids": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"], "fields": {"given_name": {"rule": "from"}}},
    )
    assert bad_rule.status_code == 422 and "customer_id" in bad_rule.json()["error"]["message"]


def test_an_admin_splits_chosen_entries_and_an_email_off_into_a_new_customer(as_role, unique):
    support, admin = as_role(S), as_role(A)
    body = {
        "given_name": "Dee",
        "emails": [{"address": f"dee.{unique}@example.com"}, {"address": f"dora.{unique}@example.org"}],
    }
    source = create(support, body)
    ticket = {"type": "ticket", "subject": "Not mine", "body": "wrong person", "priority": "normal"}
    entry = support.post(f"/v1/customers/{source}/interactions", json=ticket).json()["id"]
    choice = {"customer": {"given_name": "Dora"}, "interaction_ids": [entry], "emails": [f"dora.{unique}@example.org"]}
    assert support.post(f"/v1/customers/{source}/split", json=choice).status_code == 403
    bad = admin.post(f"/v1/customers/{source}/split", json={"customer": {"given_name": "Dora"}})
    assert bad.status_code == 422 and "choose something to move" in bad.json()["error"]["message"]

    split = admin.post(f"/v1/customers/{source}/split", json=choice)
    assert split.status_code == 200, split.text
    result = split.json()
    assert result["created"] and result["source_id"] == source
    dora = support.get(f"/v1/customers/{result['customer_id']}").json()
    assert [e["address"] for e in dora["emails"]] == [f"dora.{unique}@example.org"]
    assert dora["engagement"]["open_tickets"] == 1
    tickets = support.get(f"/v1/customers/{result['customer_id']}/timeline", params={"type": "ticket"}).json()
    assert [t["id"] for t in tickets["items"]] == [entry]
    dee = support.get(f"/v1/customers/{source}").json()
    assert [e["address"] for e in dee["emails"]] == [f"dee.{unique}@example.com"]
    assert dee["engagement"]["open_tickets"] == 0
    found = support.get("/v1/customers", params={"email": f"dora.{unique}@example.org"}).json()["items"]
    assert [c["id"] for c in found] == [result["customer_id"]]
