"""Every POST takes an Idempotency-Key: a blind retry gets the first answer and changes nothing more;
the same key with another request is refused; keys are the caller's own. The routes come from the
topology, so a new POST without a case here fails the coverage test."""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cis import topology
from cis.topology import Role
from cis_local.jobs import sent

from .test_erasure_http import settle
from .test_me_http import sign_up

A, S = Role.ADMIN, Role.SUPPORT
RENEWS = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()


@dataclass
class Case:
    path: str  # concrete
    body: dict | None
    other: dict | None  # another request under the same key
    written: Callable[[], int]  # how many times the write happened, read back
    other_path: str | None = None  # the other request's path, when it differs


def _customer(client, unique: str, name: str = "Ida") -> str:
    body = {"given_name": name, "family_name": f"Key{unique}", "emails": [{"address": f"{name}.{unique}@example.com"}]}
    created = client.post("/v1/customers", params={"allow_duplicate": "true"}, json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _timeline_count(client, customer_id: str, kind: str) -> Callable[[], int]:
    return lambda: len(client.get(f"/v1/customers/{customer_id}/timeline", params={"type": kind}).json()["items"])


def _subscription(client, customer_id: str) -> str:
    body = {"plan": "gym-monthly", "renews_at": RENEWS, "price": "29.90", "currency": "EUR"}
    created = client.post(f"/v1/customers/{customer_id}/subscriptions", json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _case(operation_id: str, client, unique: str) -> Case:
    if operation_id == "createCustomer":
        email = f"once.{unique}@example.com"
        body = {"given_name": "Once", "family_name": f"Only{unique}", "emails": [{"address": email}]}
        found = lambda: len(client.get("/v1/customers", params={"email": email}).json()["items"])  # noqa: E731
        return Case("/v1/customers", body, body | {"given_name": "Twice"}, found)
    customer_id = _customer(client, unique)
    base = f"/v1/customers/{customer_id}"
    if operation_id == "recordInteraction":
        body = {"type": "note", "text": "called back"}
        return Case(
            f"{base}/interactions",
            body,
            {"type": "note", "text": "other"},
            _timeline_count(client, customer_id, "note"),
        )
    if operation_id == "createSubscription":
        body = {"plan": "gym-monthly", "renews_at": RENEWS, "price": "29.90", "currency": "EUR"}
        count = lambda: len(client.get(f"{base}/subscriptions").json()["items"])  # noqa: E731
        return Case(f"{base}/subscriptions", body, body | {"plan": "yoga"}, count)
    if operation_id == "renewSubscription":
        subscription_id = _subscription(client, customer_id)
        version = lambda: client.get(f"{base}/subscriptions/{subscription_id}").json()["version"] - 1  # noqa: E731
        return Case(f"{base}/subscriptions/{subscription_id}/renew", None, {"renews_at": "2040-01-01"}, version)
    if operation_id == "mergeCustomers":
        other = _customer(client, unique, "Ada")
        merged = lambda: int(client.get(f"/v1/customers/{other}").status_code == 410)  # noqa: E731
        return Case(
            f"{base}/merge",
            {"merge_ids": [other]},
            {"merge_ids": [other], "fields": {"given_name": {"rule": "survivor"}}},
            merged,
        )
    if operation_id == "undoMerge":
        other = _customer(client, unique, "Ada")
        merge = client.post(f"{base}/merge", json={"merge_ids": [other]})
        assert merge.status_code == 200, merge.text
        undone = lambda: int(client.get(f"/v1/customers/{other}").status_code == 200)  # noqa: E731
        path = f"/v1/merges/{merge.json()['merge_id']}/undo"
        return Case(path, None, None, undone, "/v1/merges/01ARZ3NDEKTSV4RRFFQ69G5FAV/undo")
    if operation_id == "splitCustomer":
        note = client.post(f"{base}/interactions", json={"type": "note", "text": "not hers"})
        assert note.status_code == 201, note.text
        body = {"customer": {"given_name": "Other"}, "interaction_ids": [note.json()["id"]]}
        moved = lambda: 1 - _timeline_count(client, customer_id, "note")()  # noqa: E731
        return Case(f"{base}/split", body, body | {"customer": {"given_name": "Else"}}, moved)
    if operation_id == "dismissDuplicate":
        other = _customer(client, unique, "Ada")
        pair = "~".join(sorted([customer_id, other]))
        version = lambda: client.get(f"/v1/customers/{other}").json()["version"] - 1  # noqa: E731
        nobody = "01ARZ3NDEKTSV4RRFFQ69G5FAV~01ARZ3NDEKTSV4RRFFQ69G5FAW"
        return Case(f"/v1/duplicates/{pair}/dismiss", None, None, version, f"/v1/duplicates/{nobody}/dismiss")
    if operation_id == "importCustomers":
        email = f"imported.{unique}@example.com"
        body = {"csv": f"given_name,family_name,email\nImp,Orted{unique},{email}\n"}
        found = lambda: len(client.get("/v1/customers", params={"email": email}).json()["items"])  # noqa: E731
        return Case("/v1/imports", body, body | {"on_duplicate": "create"}, found)
    if operation_id == "createImportUpload":
        body = {"file_name": f"crm-{unique}.csv"}
        # No route lists imports: that the retry's answer names the first import (the same id and upload
        # URL, checked above) is what shows one import was made; a second would have another id.
        return Case("/v1/imports/uploads", body, body | {"on_duplicate": "merge"}, lambda: 1)
    if operation_id == "restoreCustomer":
        assert client.delete(base).status_code == 204
        archived = client.get(base).json()["version"]
        version = lambda: client.get(base).json()["version"] - archived  # noqa: E731
        return Case(f"{base}/restore", None, None, version, "/v1/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV/restore")
    if operation_id == "eraseCustomer":
        body = {"reason": "DSR 1", "legal_basis": "objection"}
        erased = lambda: int(client.get(base).status_code == 410)  # noqa: E731
        return Case(f"{base}/erase", body, body | {"reason": "DSR 2"}, erased)
    if operation_id == "replyToTicket":
        ticket = client.post(f"{base}/interactions", json={"type": "ticket", "subject": "Size", "body": "Too small"})
        assert ticket.status_code == 201, ticket.text
        path = f"{base}/interactions/{ticket.json()['id']}/messages"
        return Case(path, {"text": "Sending a larger one"}, {"text": "other"}, _messages(client, customer_id))
    raise AssertionError(f"no idempotency case for {operation_id}: add one here")


def _messages(client, customer_id: str) -> Callable[[], int]:
    timeline = f"/v1/customers/{customer_id}/timeline"
    return lambda: sum(e["type"] == "message" for e in client.get(timeline).json()["items"])


def _own_case(operation_id: str, me, staff, aws_endpoint: str) -> Case:
    """A customer route's case: `me` is a signed-up customer's session, `staff` reads what was written."""

    def sent_to(address: str) -> list[dict]:
        return [m for m in sent(aws_endpoint) if m.get("to") == address]

    timeline = f"/v1/customers/{me.customer_id}/timeline"
    if operation_id == "openMyTicket":
        body = {"subject": "Where is my parcel?", "body": "Ordered a week ago"}
        count = lambda: len(me.get("/v1/me/tickets").json()["items"])  # noqa: E731
        return Case("/v1/me/tickets", body, body | {"subject": "Other"}, count)
    if operation_id == "postMyTicketMessage":
        ticket = me.post("/v1/me/tickets", json={"subject": "Size", "body": "Too small"}).json()["id"]
        count = lambda: len(me.get(f"/v1/me/tickets/{ticket}").json()["messages"])  # noqa: E731
        return Case(f"/v1/me/tickets/{ticket}/messages", {"text": "Size 42?"}, {"text": "Size 43?"}, count)
    if operation_id == "giveFeedback":
        count = lambda: len(staff.get(timeline, params={"type": "feedback"}).json()["items"])  # noqa: E731
        return Case("/v1/me/feedback", {"rating": 4}, {"rating": 5}, count)
    if operation_id == "requestMyErasure":
        archived = lambda: int(staff.get(f"/v1/customers/{me.customer_id}").json()["status"] == "archived")  # noqa: E731
        return Case("/v1/me/erasure-request", {"reason": "moving away"}, {"reason": "other"}, archived)
    if operation_id == "addMyContact":  # a retry sends no second code
        phone = f"+1415555{sum(map(ord, me.customer_id)) % 10000:04d}"
        return Case("/v1/me/contacts", {"phone": phone}, {"phone": "+14155550100"}, lambda: len(sent_to(phone)))
    if operation_id == "verifyMyContact":  # a retry gets the profile back; the code is not tried twice
        phone = f"+1415556{sum(map(ord, me.customer_id)) % 10000:04d}"
        assert me.post("/v1/me/contacts", json={"phone": phone}).status_code == 202
        code = re.search(r"\b(\d{6})\b", settle(lambda: sent_to(phone), 30)[0]["text"]).group(1)
        phones = lambda: sum(p["number"] == phone for p in me.get("/v1/me").json()["phones"])  # noqa: E731
        return Case(
            "/v1/me/contacts/verify", {"phone": phone, "code": code}, {"phone": phone, "code": "000000"}, phones
        )
    if operation_id == "registerMyDevice":
        body = {"platform": "android", "token": f"{me.customer_id}{'t' * 20}"}
        devices = lambda: len(staff.get(f"/v1/customers/{me.customer_id}").json()["devices"] or {})  # noqa: E731
        return Case("/v1/me/devices", body, body | {"platform": "ios"}, devices)
    raise AssertionError(f"no idempotency case for {operation_id}: add one here")


POSTS = [route.operation_id for f in topology.FUNCTIONS for route in f.routes if route.takes_idempotency_key]


def test_every_post_route_is_covered_here():
    assert set(POSTS) == {
        "createCustomer",
        "recordInteraction",
        "createSubscription",
        "renewSubscription",
        "mergeCustomers",
        "undoMerge",
        "splitCustomer",
        "importCustomers",
        "createImportUpload",
        "dismissDuplicate",
        "restoreCustomer",
        "eraseCustomer",
        "replyToTicket",
        "openMyTicket",
        "postMyTicketMessage",
        "giveFeedback",
        "requestMyErasure",
        "addMyContact",
        "verifyMyContact",
        "registerMyDevice",
    }


@pytest.mark.parametrize("operation_id", POSTS)
def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_once(operation_id, as_role, unique, local_api):
    admin = as_role(A)
    if topology.operation(operation_id)[1].customer:  # a customer's own route: their session, their record
        admin = sign_up(local_api, email=f"key.{unique}@example.com")
        case = _own_case(operation_id, admin, as_role(A), local_api.runtime["aws_endpoint"])
    else:
        case = _case(operation_id, admin, unique)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = admin.post(case.path, json=case.body, headers=key)
    assert first.status_code < 300, first.text
    again = admin.post(case.path, json=case.body, headers=key)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    for header in ("ETag", "Location"):
        assert again.headers.get(header) == first.headers.get(header)
    assert case.written() == 1

    reused = admin.post(case.other_path or case.path, json=case.other, headers=key)
    assert reused.status_code == 422, reused.text
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert case.written() == 1


def test_keys_are_the_callers_own(as_role, unique):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    customer_id = _customer(as_role(A), unique)
    path = f"/v1/customers/{customer_id}/interactions"
    mine = as_role(A).post(path, json={"type": "note", "text": "mine"}, headers=key)
    theirs = as_role(S).post(path, json={"type": "note", "text": "mine"}, headers=key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]  # another caller's key is not a retry of yours


def test_renew_with_the_renewal_day_it_read_cannot_move_it_twice(as_role, unique):
    admin = as_role(A)
    customer_id = _customer(admin, unique)
    subscription_id = _subscription(admin, customer_id)
    path = f"/v1/customers/{customer_id}/subscriptions/{subscription_id}/renew"
    first = admin.post(path, json={"expected_renews_at": RENEWS})
    assert first.status_code == 200 and first.json()["renews_at"] > RENEWS
    blind_retry = admin.post(path, json={"expected_renews_at": RENEWS})
    assert blind_retry.status_code == 412, blind_retry.text
    assert blind_retry.json()["error"]["current_version"] == first.json()["version"]
    stale = admin.post(path, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
