"""Visibility reaches every path: no cache keeps an answer that may hold personal data, the audit trail
shows each role what its timeline shows, and no cursor names an entry its caller may not see."""

import base64
import json
import time

import pytest
from cis.topology import Role

from .conftest import Client
from .test_timeline_http import new_customer, record

S, M, A = Role.SUPPORT, Role.MARKETING, Role.ADMIN


@pytest.fixture
def as_role(quiet_api):
    return lambda *roles: Client(quiet_api.url, list(roles))


def history_of(client: Client, customer_id: str, want: int, timeout_s: float = 60) -> list[dict]:
    """The customer's whole audit trail once the stream has written `want` entries."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        items = client.get(f"/v1/customers/{customer_id}/history", params={"limit": 100}).json()["items"]
        if len(items) >= want:
            return items
        time.sleep(0.2)
    pytest.fail(f"the stream wrote fewer than {want} history entries for {customer_id} within {timeout_s} s")


def every_page(client: Client, path: str, limit: int) -> tuple[list[dict], list[str]]:
    items, cursors, cursor = [], [], None
    while True:
        page = client.get(path, params={"limit": limit} | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if not (cursor := page.json()["next_cursor"]):
            return items, cursors
        cursors.append(cursor)


def plain(cursor: str) -> str:
    """What a curious caller reads in a cursor: base64 of the key it ends on."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode(errors="replace")


def test_every_answer_of_the_api_functions_says_no_store_and_the_openapi_document_stays_cacheable(
    as_role, anonymous_quiet, unique
):
    support = as_role(S)
    cid = new_customer(support, unique)
    answers = {
        "a customer": support.get(f"/v1/customers/{cid}"),
        "a timeline": support.get(f"/v1/customers/{cid}/timeline"),
        "a 360 view": support.get(f"/v1/customers/{cid}/360"),
        "a history": support.get(f"/v1/customers/{cid}/history"),
        "consents": support.get(f"/v1/customers/{cid}/consents"),
        "a list": as_role(M).get("/v1/customers", params={"limit": 1}),
        "a create": support.post("/v1/customers", json={"given_name": "Nora", "allow": 1}),  # 422
        "a 404": support.get("/v1/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        "a 403": as_role(M).delete(f"/v1/customers/{cid}"),
    }
    for what, answer in answers.items():
        assert answer.headers.get("Cache-Control") == "no-store", (what, answer.status_code, answer.headers)
    document = anonymous_quiet.get("/v1/openapi.json")
    assert document.status_code == 200 and "no-store" not in document.headers.get("Cache-Control", "")


@pytest.fixture
def anonymous_quiet(quiet_api):
    return Client(quiet_api.url, None)


def test_marketing_reads_the_audit_trail_without_notes_ticket_status_steps_or_past_contact_values(as_role, unique):
    support = as_role(S)
    cid = new_customer(support, unique)  # tim.<unique>@example.com
    moved = support.patch(f"/v1/customers/{cid}", json={"emails": [{"address": f"tim.moved.{unique}@example.com"}]})
    assert moved.status_code == 200
    note = record(support, cid, {"type": "note", "text": "private remark"}).json()
    ticket = record(support, cid, {"type": "ticket", "subject": "Login", "body": "cannot log in"}).json()
    solved = support.patch(f"/v1/customers/{cid}/interactions/{ticket['id']}", json={"status": "solved"})
    assert solved.status_code == 200

    full = history_of(support, cid, want=5)  # created, updated, note, ticket, the ticket's status step
    assert {entry["event"] for entry in full} >= {"interaction.updated", "interaction.recorded", "customer.updated"}
    assert f"tim.{unique}@example.com" in json.dumps(full) and note["id"] in json.dumps(full)

    seen = as_role(M).get(f"/v1/customers/{cid}/history", params={"limit": 100}).json()["items"]
    told = json.dumps(seen)
    assert [entry["event"] for entry in seen] == ["interaction.recorded", "customer.updated", "customer.created"]
    assert seen[0]["changes"] == [{"field": "interaction ticket", "before": None, "after": ticket["id"]}]
    assert note["id"] not in told and "solved" not in told  # the note, the ticket's status step
    assert f"tim.{unique}@example.com" not in told and f"tim.moved.{unique}" not in told
    update = seen[1]
    assert update["redacted"] == ["emails"]
    assert update["changes"] == [{"field": "emails", "before": None, "after": None}]
    assert (
        seen[2]["redacted"] == ["emails"]
        and {"field": "given_name", "before": None, "after": "Tim"} in (seen[2]["changes"])
    )


def test_a_timeline_or_history_cursor_handed_to_marketing_never_names_an_entry_it_may_not_see(as_role, unique):
    support, marketing = as_role(S), as_role(M)
    cid = new_customer(support, unique)
    notes = []
    for index in range(3):
        assert record(support, cid, {"type": "activity", "activity": "visit", "channel": "web"}).status_code == 201
        notes.append(record(support, cid, {"type": "note", "text": f"remark {index}"}).json()["id"])

    entries, cursors = every_page(marketing, f"/v1/customers/{cid}/timeline", limit=1)
    assert [entry["type"] for entry in entries] == ["activity"] * 3
    assert len(cursors) >= 2 and not [cursor for cursor in cursors if any(note in plain(cursor) for note in notes)]

    full = history_of(support, cid, want=7)  # created, then the six recordings
    hidden = [entry["change_id"] for entry in full if entry["changes"][0]["field"] == "interaction note"]
    assert len(hidden) == 3
    entries, cursors = every_page(marketing, f"/v1/customers/{cid}/history", limit=1)
    assert [entry["event"] for entry in entries] == ["interaction.recorded"] * 3 + ["customer.created"]
    leaked = [cursor for cursor in cursors if any(secret in plain(cursor) for secret in [*hidden, *notes])]
    assert len(cursors) >= 3 and not leaked
    assert len(every_page(support, f"/v1/customers/{cid}/history", limit=1)[0]) == 7  # support still sees all
