"""Customers on their own record, over real HTTP: sign-up linking, the /v1/me routes, and isolation.

The isolation test is generated from the topology: every customer route is called by two customers,
each also naming the other's order, subscription and cursor where a route takes one, and nothing of
one customer may appear in anything the other gets back (bodies, headers, errors)."""

import json
import os
import re
import subprocess
import sys
import uuid

import pytest
from cis.topology import FUNCTIONS, Role
from cis_local import tokens

from tests.api.conftest import ROOT, Client
from tests.api.test_erasure_http import settle

CUSTOMER_ROUTES = [route for function in FUNCTIONS for route in function.routes if route.customer]
STAFF_ROUTES = [route for function in FUNCTIONS for route in function.routes if route.roles]


class Customer(Client):
    """A customer app's session: a customer pool token, no roles."""

    def __init__(self, base: str, token: str, customer_id: str):
        super().__init__(base, None)
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.customer_id = customer_id


def sign_up(local_api, email: str | None = None, phone: str | None = None) -> Customer:
    """`cis signup`, as the customer pool's confirmation would run it, against this runtime."""
    env = {**os.environ, "CIS_RUNTIME_FILE": local_api.runtime_file}
    args = [sys.executable, "-m", "cis_local.cli", "signup", *(["--email", email] if email else [])]
    args += ["--phone", phone] if phone else []
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    linked = json.loads(done.stdout)
    return Customer(local_api.url, linked["token"], linked["customer_id"])


@pytest.fixture
def signed_up(local_api):
    return lambda email=None, phone=None: sign_up(local_api, email, phone)


def _error(response) -> dict:
    return response.json()["error"]


def test_a_sign_up_with_a_verified_email_a_record_holds_is_linked_to_that_record(as_role, signed_up, unique):
    staff = as_role(Role.SUPPORT)
    email = f"grace.{unique}@example.com"
    created = staff.post("/v1/customers", json={"given_name": "Grace", "emails": [{"address": email}]}).json()

    grace = signed_up(email=email.upper())  # the pool's spelling of it: matched as the record's lookups are
    assert grace.customer_id == created["id"]
    me = grace.get("/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["given_name"] == "Grace" and me.json()["id"] == created["id"]
    assert me.headers["ETag"] == f'"{me.json()["version"]}"' and me.headers["Cache-Control"] == "no-store"

    newcomer = signed_up(email=f"new.{unique}@example.com")  # no record holds it: a new one is made
    assert newcomer.customer_id != created["id"]
    made = staff.get(f"/v1/customers/{newcomer.customer_id}").json()
    assert made["emails"][0]["address"] == f"new.{unique}@example.com"
    assert made["created_by"].startswith("customer:")


def test_tokens_of_one_pool_are_refused_with_403_on_the_other_pools_routes(as_role, signed_up, unique):
    """Generated from the topology: every staff route refuses a customer, every customer route staff."""
    customer = signed_up(email=f"cross.{unique}@example.com")
    for route in STAFF_ROUTES:
        path = re.sub(r"{(\w+)}", customer.customer_id if "{customer_id}" in route.path else "x", route.path)
        answer = getattr(customer, route.method.lower())(path, json={} if route.method != "GET" else None)
        assert answer.status_code == 403, (route.method, route.path, answer.text)
        assert _error(answer)["code"] == "staff_only"
    for route in CUSTOMER_ROUTES:
        for role in Role:
            path = re.sub(r"{(\w+)}", "01ARZ3NDEKTSV4RRFFQ69G5FAV", route.path)
            answer = getattr(as_role(role), route.method.lower())(path, json={} if route.method != "GET" else None)
            assert answer.status_code == 403, (route.method, route.path, role, answer.text)
            assert _error(answer)["code"] == "customers_only"


def test_a_customer_token_linked_to_no_record_is_403_not_linked_until_its_next_sign_in_links_it(
    local_api, as_role, unique
):
    # A confirmed account whose sign-up trigger failed: Cognito never runs that trigger again.
    subject, email = str(uuid.uuid4()), f"lost.{unique}@example.com"
    stranger = Customer(local_api.url, tokens.mint_customer(subject), "")
    answer = stranger.get("/v1/me")
    assert answer.status_code == 403 and _error(answer)["code"] == "not_linked", answer.text

    assert _sign_in(local_api, subject)["customer_id"] is None  # no verified contact: still not linked, signed in
    linked = _sign_in(local_api, subject, "--email", email)["customer_id"]
    assert stranger.get("/v1/me").json()["id"] == linked
    assert as_role(Role.ADMIN).get(f"/v1/customers/{linked}").json()["emails"][0]["address"] == email
    assert _sign_in(local_api, subject, "--email", email)["customer_id"] == linked  # every later sign-in: the same


def _sign_in(local_api, subject: str, *args: str) -> dict:
    env = {**os.environ, "CIS_RUNTIME_FILE": local_api.runtime_file}
    command = [sys.executable, "-m", "cis_local.cli", "signin", "--subject", subject, *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _with_things(staff, customer: Customer, unique: str, name: str) -> dict:
    """An order, a subscription and a consent for the customer, written by staff; what names them."""
    path = f"/v1/customers/{customer.customer_id}"
    assert staff.patch(path, json={"given_name": name, "family_name": f"Family{name}"}).status_code == 200
    order = {"type": "order", "external_order_id": f"ORD-{name}-{unique}", "amount": "12.50", "currency": "EUR"}
    order["line_items"] = [{"product_id": f"sku-{name}-{unique}", "quantity": 2}]
    entry = staff.post(f"{path}/interactions", json=order)
    assert entry.status_code == 201, entry.text
    subscription = {"plan": f"plan-{name}", "renews_at": "2030-01-01", "price": "9", "currency": "EUR"}
    started = staff.post(f"{path}/subscriptions", json=subscription)
    assert started.status_code == 201, started.text
    consent = {"status": "granted", "source": "shop-checkout", "evidence": "checkbox v2"}
    assert staff.put(f"{path}/consents/email/marketing", json=consent).status_code == 200
    for _ in range(2):  # a second order: the orders list has a second page to carry a cursor to
        order["external_order_id"] += "b"
        assert staff.post(f"{path}/interactions", json=order).status_code == 201
    opened = customer.post("/v1/me/tickets", json={"subject": f"Subject{name}", "body": f"Body{name} {unique}"})
    assert opened.status_code == 201, opened.text
    ticket_id = opened.json()["id"]
    assert staff.post(f"{path}/interactions/{ticket_id}/messages", json={"text": f"Reply{name}"}).status_code == 201
    device = customer.post("/v1/me/devices", json={"platform": "ios", "token": f"{name}{unique}{'d' * 40}"})
    assert device.status_code == 201, device.text
    return {
        "id": customer.customer_id,
        "order_id": entry.json()["id"],
        "ticket_id": ticket_id,
        "device_id": device.json()["id"],
        "subscription_id": started.json()["id"],
        "secrets": [
            customer.customer_id,
            name,
            f"Family{name}",
            f"ORD-{name}-{unique}",
            f"sku-{name}-{unique}",
            entry.json()["id"],
            started.json()["id"],
            f"plan-{name}",
            ticket_id,
            f"Subject{name}",
            f"Body{name}",
            f"Reply{name}",
        ],
    }


BODIES = {
    ("POST", "/v1/me/contacts"): {"phone": "+14155550199"},
    ("POST", "/v1/me/contacts/verify"): {"phone": "+14155550199", "code": "000000"},
    ("POST", "/v1/me/devices"): {"platform": "android", "token": "f" * 40},
    ("POST", "/v1/me/tickets"): {"subject": "Another question", "body": "Where is my parcel?"},
    ("POST", "/v1/me/tickets/{ticket_id}/messages"): {"text": "Any news?"},
    ("POST", "/v1/me/feedback"): {"nps": 9, "comment": "Good service"},
    ("PATCH", "/v1/me"): {"locale": "en-GB"},
    ("PUT", "/v1/me/consents/{channel}/{purpose}"): {"status": "withdrawn"},
    ("PATCH", "/v1/me/subscriptions/{subscription_id}"): {"auto_renew": False},
    ("POST", "/v1/me/erasure-request"): None,
}


def _calls(route, own: dict, other: dict):
    """The requests to make on a route as `own`: its own ids, and the other customer's where it takes one."""
    fills = [own] if "{" not in route.path or "{channel}" in route.path else [own, other]
    for fill in fills:
        path = route.path.replace("{order_id}", fill["order_id"]).replace("{subscription_id}", fill["subscription_id"])
        path = path.replace("{ticket_id}", fill["ticket_id"]).replace("{device_id}", fill["device_id"])
        path = path.replace("{channel}", "email").replace("{purpose}", "marketing")
        yield path, BODIES.get((route.method, route.path))


def test_nothing_of_one_customer_ever_reaches_another_through_any_customer_route(as_role, signed_up, unique):
    staff = as_role(Role.ADMIN)
    alice, bob = (signed_up(email=f"{n}.{unique}@example.com") for n in ("alice", "bob"))
    things = {"alice": _with_things(staff, alice, unique, "Alicia"), "bob": _with_things(staff, bob, unique, "Roberto")}
    things["alice"]["secrets"].append(f"alice.{unique}")
    things["bob"]["secrets"].append(f"bob.{unique}")

    # Cursors: each customer's next page, then handed to the other.
    cursors = {}
    for name, customer in (("alice", alice), ("bob", bob)):
        page = customer.get("/v1/me/orders", params={"limit": 1}).json()
        assert page["next_cursor"], page
        cursors[name] = page["next_cursor"]

    routes = sorted(CUSTOMER_ROUTES, key=lambda r: r.operation_id == "requestMyErasure")  # erasure last
    seen = set()
    for route in routes:
        for me, them, customer in (("alice", "bob", alice), ("bob", "alice", bob)):
            for path, body in _calls(route, things[me], things[them]):
                kwargs = {"json": body} if route.method != "GET" else {}
                answers = [getattr(customer, route.method.lower())(path, **kwargs)]
                if route.operation_id == "listMyOrders":  # the other's cursor: refused, naming nothing
                    answers.append(customer.get(path, params={"cursor": cursors[them], "limit": 1}))
                    assert answers[-1].status_code == 400, answers[-1].text
                for answer in answers:
                    assert answer.status_code < 500, (route.operation_id, answer.text)
                    text = answer.text + json.dumps(dict(answer.headers))
                    leaked = [secret for secret in things[them]["secrets"] if secret.lower() in text.lower()]
                    assert not leaked, (route.operation_id, me, path, leaked)
                    if any(
                        things[them][name] in path for name in ("order_id", "subscription_id", "ticket_id", "device_id")
                    ):
                        assert answer.status_code == 404, (route.operation_id, answer.text)
                seen.add(route.operation_id)
    assert seen == {route.operation_id for route in CUSTOMER_ROUTES}


def test_a_customer_sees_orders_changes_profile_and_subscription_and_withdraws_marketing(as_role, signed_up, unique):
    staff = as_role(Role.SUPPORT)
    carol = signed_up(email=f"carol.{unique}@example.com")
    mine = _with_things(as_role(Role.ADMIN), carol, unique, "Carol")

    orders = carol.get("/v1/me/orders").json()["items"]
    assert [o["status"] for o in orders] == ["placed"] * 3 and orders[-1]["id"] == mine["order_id"]
    one = carol.get(f"/v1/me/orders/{mine['order_id']}").json()
    assert one["order_number"] == f"ORD-Carol-{unique}" and one["line_items"][0]["quantity"] == 2
    assert "recorded_by" not in one and "engagement" not in carol.get("/v1/me").json()

    me = carol.get("/v1/me")
    stale = me.headers["ETag"]
    changed = carol.patch(
        "/v1/me", json={"family_name": "Jones", "time_zone": "Europe/Paris"}, headers={"If-Match": stale}
    )
    assert changed.status_code == 200 and changed.json()["family_name"] == "Jones"
    again = carol.patch("/v1/me", json={"locale": "fr-FR"}, headers={"If-Match": stale})
    assert again.status_code == 412
    refused = carol.patch("/v1/me", json={"emails": [{"address": "mallory@example.com"}], "tags": ["vip"]})
    assert refused.status_code == 422, refused.text
    assert {p["path"].split(".")[-1] for p in _error(refused)["fields"]} >= {"emails", "tags"}
    assert carol.patch("/v1/me", json={"given_name": "\u202eevil"}).status_code == 422

    subscriptions = carol.get("/v1/me/subscriptions").json()["items"]
    assert [s["renews_at"] for s in subscriptions] == ["2030-01-01"]
    off = carol.patch(f"/v1/me/subscriptions/{mine['subscription_id']}", json={"auto_renew": False})
    assert off.status_code == 200 and off.json()["auto_renew"] is False
    assert carol.patch(f"/v1/me/subscriptions/{mine['subscription_id']}", json={"price": "0"}).status_code == 422

    preferences = {(p["channel"], p["purpose"]): p for p in carol.get("/v1/me/preferences").json()["items"]}
    assert len(preferences) == 15 and preferences["email", "marketing"]["allowed"] is True
    assert "Offers" in preferences["email", "marketing"]["description"]
    withdrawn = carol.put("/v1/me/consents/email/marketing", json={"status": "withdrawn"})
    assert withdrawn.status_code == 200, withdrawn.text
    staff_view = staff.get(f"/v1/customers/{carol.customer_id}/consents").json()["email:marketing"]
    assert (staff_view["status"], staff_view["source"]) == ("withdrawn", "self_service")
    assert staff_view["captured_by"].startswith("customer:")
    # The customer lifts their own withdrawal; staff could not without new evidence.
    assert carol.put("/v1/me/consents/email/marketing", json={"status": "granted"}).status_code == 200


def test_a_customer_takes_their_export_and_asks_for_erasure(as_role, signed_up, unique):
    admin = as_role(Role.ADMIN)
    email = f"dora.{unique}@example.com"
    body = {"given_name": "Dora", "family_name": f"Quill{unique}", "emails": [{"address": email}]}
    assert admin.post("/v1/customers", json=body).status_code == 201
    dora = signed_up(email=email)
    twin = body | {"emails": [{"address": f"dora.{unique}+shop@example.com"}]}  # the same mailbox
    assert admin.post("/v1/customers?on_duplicate=review", json=twin).status_code == 201
    staff_copy = settle(lambda: admin.get(f"/v1/customers/{dora.customer_id}/export").json()["likely_duplicates"])
    assert staff_copy, "the stream listed the pair"

    exported = dora.get("/v1/me/export")
    assert exported.status_code == 200, exported.text
    document = exported.json()
    assert document["customer"]["id"] == dora.customer_id and document["sign_ins"]
    assert document["likely_duplicates"] == [] and staff_copy[0]["other_id"] not in exported.text

    asked = dora.post("/v1/me/erasure-request")
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "scheduled"
    assert admin.get(f"/v1/customers/{dora.customer_id}").json()["status"] == "archived"
    assert dora.patch("/v1/me", json={"locale": "en-GB"}).status_code == 409  # archived: no more changes
    assert dora.get("/v1/me").status_code == 200


def test_a_customer_asks_support_sees_the_reply_and_is_told_by_their_channel(as_role, signed_up, local_api, unique):
    from cis_local.jobs import sent

    support, marketing = as_role(Role.SUPPORT), as_role(Role.MARKETING)
    email = f"erin.{unique}@example.com"
    erin = signed_up(email=email)
    assert erin.patch("/v1/me", json={"given_name": "Erin", "time_zone": "Pacific/Kiritimati"}).status_code == 200
    # Quiet hours: a zone where it is daytime now, so the notice is not held until morning.
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    zone = next(
        z
        for z in ("Pacific/Kiritimati", "Europe/London", "America/New_York", "Asia/Tokyo")
        if 9 <= datetime.now(UTC).astimezone(ZoneInfo(z)).hour < 20
    )
    assert erin.patch("/v1/me", json={"time_zone": zone}).status_code == 200

    opened = erin.post("/v1/me/tickets", json={"subject": "Wrong size", "body": "The shoes are too small"})
    assert opened.status_code == 201 and opened.headers["Location"] == f"/v1/me/tickets/{opened.json()['id']}"
    ticket = opened.json()["id"]
    assert erin.post(f"/v1/me/tickets/{ticket}/messages", json={"text": "Size 42 would fit"}).status_code == 201

    path = f"/v1/customers/{erin.customer_id}"
    assert marketing.post(f"{path}/interactions/{ticket}/messages", json={"text": "x"}).status_code == 403
    reply = support.post(f"{path}/interactions/{ticket}/messages", json={"text": "We are sending size 42 today"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["author"] == "staff" and reply.json()["ticket_id"] == ticket

    thread = erin.get(f"/v1/me/tickets/{ticket}").json()
    assert [(m["author"], m["text"]) for m in thread["messages"]] == [
        ("customer", "Size 42 would fit"),
        ("staff", "We are sending size 42 today"),
    ]
    assert erin.get("/v1/me/tickets").json()["items"][0]["id"] == ticket
    # Staff see the thread on the timeline; marketing sees that a message was written, not what it says.
    staff_side = support.get(f"{path}/timeline", params={"limit": 5}).json()["items"]
    assert {e["type"] for e in staff_side} >= {"ticket", "message"}
    hidden = [e for e in marketing.get(f"{path}/timeline").json()["items"] if e["type"] == "message"]
    assert hidden and all(e["text"] is None for e in hidden)

    def told():
        return [m for m in sent(local_api.runtime["aws_endpoint"]) if email in m.get("to", [])]

    [notice] = settle(told, 60)
    assert notice["subject"] == "Support replied to your request" and "size 42" not in notice["text"]
    # Feedback, and a message on something that is not a ticket of theirs.
    assert erin.post("/v1/me/feedback", json={"rating": 5, "comment": "Quick"}).status_code == 201
    assert erin.post("/v1/me/feedback", json={"rating": 5, "nps": 9}).status_code == 422
    order = support.post(f"{path}/interactions", json={"type": "note", "text": "called her back"}).json()["id"]
    assert erin.post(f"/v1/me/tickets/{order}/messages", json={"text": "hi"}).status_code == 404


def _daytime_zone() -> str:
    """A time zone where it is day now: the notifier holds messages in the customer's quiet hours."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    zones = ("Europe/London", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "America/Los_Angeles")
    return next(z for z in zones if 9 <= datetime.now(UTC).astimezone(ZoneInfo(z)).hour < 20)


def test_a_registered_device_gets_the_renewal_reminder_by_push_and_moves_with_its_token(
    as_role, signed_up, local_api, unique
):
    from datetime import UTC, datetime, timedelta

    from cis_local.jobs import sent

    from tests.api.test_erasure_http import run_job

    admin = as_role(Role.ADMIN)
    finn = signed_up(email=f"finn.{unique}@example.com")
    profile = {"given_name": "Finn", "preferred_channel": "push", "time_zone": _daytime_zone()}
    assert finn.patch("/v1/me", json=profile).status_code == 200
    assert finn.put("/v1/me/consents/push/reminders", json={"status": "granted"}).status_code == 200
    token = f"{unique}{'a' * 48}"
    registered = finn.post("/v1/me/devices", json={"platform": "ios", "token": token, "app_version": "3.2.0"})
    assert registered.status_code == 201, registered.text
    device = registered.json()["id"]
    assert finn.post("/v1/me/devices", json={"platform": "ios", "token": token}).json()["id"] == device
    endpoint = admin.get(f"/v1/customers/{finn.customer_id}").json()["devices"][device]["endpoint"]

    today = datetime.now(UTC).date()
    subscription = {
        "plan": "gym",
        "renews_at": (today + timedelta(days=7)).isoformat(),
        "price": "9",
        "currency": "EUR",
    }
    assert admin.post(f"/v1/customers/{finn.customer_id}/subscriptions", json=subscription).status_code == 201
    run_job(local_api, "renewal-reminders", today.isoformat())

    pushed = settle(lambda: [m for m in sent(local_api.runtime["aws_endpoint"]) if m.get("to") == endpoint], 60)
    assert pushed and pushed[0]["channel"] == "push" and "gym" in pushed[0]["text"], pushed
    timeline = admin.get(f"/v1/customers/{finn.customer_id}/timeline", params={"type": "notification"}).json()
    assert timeline["items"][0]["channel"] == "push"

    # Someone else signs in on the same phone: the install is theirs now, and off Finn's profile.
    gina = signed_up(email=f"gina.{unique}@example.com")
    assert gina.post("/v1/me/devices", json={"platform": "ios", "token": token}).json()["id"] == device
    assert device not in (admin.get(f"/v1/customers/{finn.customer_id}").json()["devices"] or {})
    assert finn.delete(f"/v1/me/devices/{device}").status_code == 404
    assert endpoint in _push_endpoints(local_api)
    assert gina.delete(f"/v1/me/devices/{device}").status_code == 204
    assert endpoint not in _push_endpoints(local_api), "signed out: the endpoint (holding the token) is deleted"
    assert gina.delete(f"/v1/me/devices/{device}").status_code == 404
    assert finn.post("/v1/me/devices", json={"platform": "ios", "token": "short"}).status_code == 422

    # Erased: the endpoints of Finn's devices go with him (SNS keeps each device's token in them).
    tablet = finn.post("/v1/me/devices", json={"platform": "android", "token": f"{unique}{'b' * 48}"}).json()["id"]
    kept = admin.get(f"/v1/customers/{finn.customer_id}").json()["devices"][tablet]["endpoint"]
    assert kept in _push_endpoints(local_api)
    erased = admin.post(f"/v1/customers/{finn.customer_id}/erase", json={"reason": "DSR 9", "legal_basis": "objection"})
    assert erased.status_code == 200, erased.text
    assert kept not in _push_endpoints(local_api)
    assert gina.post("/v1/me/devices", json={"platform": "android", "token": f"{unique}{'b' * 48}"}).status_code == 201


def _push_endpoints(local_api) -> set[str]:
    """The runtime's SNS platform endpoints that still exist (moto's data listing keeps deleted ones)."""
    import boto3

    sns = boto3.client(
        "sns",
        endpoint_url=local_api.runtime["aws_endpoint"],
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return {
        endpoint["EndpointArn"]
        for application in sns.list_platform_applications()["PlatformApplications"]
        for endpoint in sns.list_endpoints_by_platform_application(
            PlatformApplicationArn=application["PlatformApplicationArn"]
        )["Endpoints"]
    }


def _code_sent_to(local_api, address: str) -> str:
    from cis_local.jobs import sent

    def codes():
        return [m for m in sent(local_api.runtime["aws_endpoint"]) if address in (m.get("to") or [])]

    [message] = settle(codes, 30)
    return re.search(r"\b(\d{6})\b", message["text"]).group(1)


def test_a_new_email_joins_the_profile_only_with_the_code_sent_to_it(as_role, signed_up, local_api, unique):
    admin = as_role(Role.ADMIN)
    old, new = f"hana.{unique}@example.com", f"hana.new.{unique}@example.com"
    hana = signed_up(email=old)
    assert hana.patch("/v1/me", json={"emails": [{"address": new}]}).status_code == 422  # not without a code
    asked = hana.post("/v1/me/contacts", json={"email": new})
    assert asked.status_code == 202 and asked.json()["channel"] == "email", asked.text
    code = _code_sent_to(local_api, new)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = hana.post("/v1/me/contacts/verify", json={"email": new, "code": wrong})
    assert refused.status_code == 422 and _error(refused)["fields"][0]["path"].endswith("code")
    assert hana.post("/v1/me/contacts/verify", json={"email": f"x{new}", "code": code}).status_code == 422
    changed = hana.post("/v1/me/contacts/verify", json={"email": new, "code": code})
    assert changed.status_code == 200, changed.text
    assert [e["address"] for e in changed.json()["emails"]] == [new]  # the new one replaced the old
    assert admin.get("/v1/customers", params={"email": new}).json()["items"][0]["id"] == hana.customer_id
    assert hana.post("/v1/me/contacts/verify", json={"email": new, "code": code}).status_code == 422  # used

    # An address on someone else's record: refused without saying whose.
    other = admin.post(
        "/v1/customers", json={"given_name": "Ivo", "emails": [{"address": f"ivo.{unique}@example.com"}]}
    )
    assert hana.post("/v1/me/contacts", json={"email": f"ivo.{unique}@example.com"}).status_code == 202
    taken = hana.post(
        "/v1/me/contacts/verify",
        json={"email": f"ivo.{unique}@example.com", "code": _code_sent_to(local_api, f"ivo.{unique}@example.com")},
    )
    assert taken.status_code == 409 and _error(taken)["code"] == "contact_taken", taken.text
    assert other.json()["id"] not in taken.text
