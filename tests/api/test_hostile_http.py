"""Hostile input and access over real HTTP, after the OWASP API Security Top 10 (2023).

API1 object level (one customer's ids under another's path, cursors), API2 authentication (tokens),
API3 property level (server-owned and unknown fields), API4 resource consumption (body size and depth,
page size), API5 function level (every route against every role, from the topology). Personal data in
logs (API3/API8) is searched for at the end of every run: see tests/conftest.py.
"""

import base64
import json
import re
import time

import jwt
import pytest
from cis.topology import FUNCTIONS, Role
from cis_local import tokens
from cis_local.openapi import SPEC_PATH

NOBODY = "01ARZ3NDEKTSV4RRFFQ69G5FAV"  # a well-formed id no record has
FORM = "application/x-www-form-urlencoded"
SAMPLE_PARAMS = {"tag": "vip", "channel": "email", "purpose": "marketing"}
SPEC = json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def error(response) -> dict:
    return response.json()["error"]


def new_customer(client, unique: str, name: str = "Ada") -> dict:
    body = {"given_name": name, "emails": [{"address": f"{name.lower()}.{unique}@example.com"}]}
    created = client.post("/v1/customers", json=body)
    assert created.status_code == 201, created.text
    return created.json()


# -- API2: broken authentication ------------------------------------------------------------------
def _claims(**changes) -> dict:
    now = int(time.time())
    return {
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "sub": "dev-admin",
        "cognito:groups": ["admin"],
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
    } | changes


def test_tokens_tampered_expired_unsigned_foreign_or_for_another_audience_are_all_401(anonymous, local_api):
    good = tokens.mint([Role.ADMIN])
    header, payload, signature = good.split(".")
    raised = base64.urlsafe_b64encode(json.dumps(_claims(**{"cognito:groups": ["admin", "x"]})).encode()).decode()
    bad = {
        "payload swapped, signature kept": f"{header}.{raised.rstrip('=')}.{signature}",
        "signature changed": f"{header}.{payload}.{signature[::-1]}",
        "expired": tokens.mint([Role.ADMIN], ttl_s=-60),
        "another audience": jwt.encode(_claims(aud="someone-else"), tokens.secret(), algorithm="HS256"),
        "another issuer": jwt.encode(_claims(iss="https://evil.example"), tokens.secret(), algorithm="HS256"),
        "unsigned (alg none)": jwt.encode(_claims(), None, algorithm="none"),
        "signed with another key": jwt.encode(_claims(), "an-attackers-own-secret-of-32-bytes", algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in _claims().items() if k != "exp"}, tokens.secret(), "HS256"),
        "empty subject": jwt.encode(_claims(sub=""), tokens.secret(), algorithm="HS256"),
        "not a token": "Bearer-of-nothing",
    }
    for what, token in bad.items():
        response = anonymous.session.get(f"{local_api.url}/v1/customers", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, what
        assert error(response)["code"] == "unauthorized", what


# -- API5: broken function level authorization ----------------------------------------------------
def _concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: SAMPLE_PARAMS.get(m.group(1), NOBODY), path)


def test_every_route_answers_every_role_as_the_topology_declares(as_role, anonymous):
    """Generated from the topology: a route added there is checked here without a new line of test."""
    checked = 0
    for route in (r for function in FUNCTIONS for r in function.routes):
        path = _concrete(route.path)
        body = {"json": {}} if route.method in ("POST", "PUT", "PATCH") else {}
        if route.signed:
            # No sign-in to check: every caller, with any token or none, gets what a forged link gets.
            forged = f"{path}?token=u1.{NOBODY}.email.marketing.{'A' * 22}.{int(time.time())}.{'A' * 43}"
            if route.form:
                body = {"data": "List-Unsubscribe=One-Click", "headers": {"Content-Type": FORM}}
            for client in (anonymous, *(as_role(role) for role in Role)):
                response = getattr(client, route.method.lower())(forged, **body)
                assert response.status_code == 403, (route.method, route.path, response.text)
                assert error(response)["code"] == "bad_link_signature", route
            continue
        if route.public:
            assert getattr(anonymous, route.method.lower())(path, **body).status_code == 200, route
            continue
        assert getattr(anonymous, route.method.lower())(path, **body).status_code == 401, route
        for roles in ([], *([role] for role in Role)):
            status = getattr(as_role(*roles), route.method.lower())(path, **body).status_code
            may = bool(set(roles) & route.roles)
            assert (status not in (401, 403)) if may else (status == 403), (route.method, route.path, roles, status)
            checked += 1
    assert checked == 5 * sum(1 for f in FUNCTIONS for r in f.routes if r.signed_in)


# -- API3: broken object property level authorization (mass assignment) ---------------------------
def _properties(schema: dict) -> set[str]:
    if "$ref" in schema:
        return _properties(SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    found = set(schema.get("properties", {}))
    for member in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= _properties(member)
    return found


def _write_operations():
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation or "customerBearer" in str(operation.get("security")):
                continue  # a customer's own routes: tests/api/test_me_http.py
            if "application/json" not in operation["requestBody"]["content"]:
                continue  # a form (the one-click unsubscribe): no fields to assign
            success = next(r for status, r in operation["responses"].items() if status.startswith("2"))
            sent = _properties(operation["requestBody"]["content"]["application/json"]["schema"])
            returned = _properties(success["content"]["application/json"]["schema"])
            yield method, path, [*sorted(returned - sent), "is_admin"]


# A body the route would take, so the only thing wrong is the field added to it.
BASE = {
    "/v1/customers": {"given_name": "Mallory"},
    "/v1/customers/{customer_id}": {"given_name": "Mallory"},
    "/v1/customers/{customer_id}/interactions": {"type": "note", "text": "hello"},
    "/v1/customers/{customer_id}/interactions/{interaction_id}": {"status": "solved"},
    "/v1/customers/{customer_id}/subscriptions": {
        "plan": "p",
        "renews_at": "2030-01-01",
        "price": "1",
        "currency": "EUR",
    },
}


def test_server_owned_and_unknown_fields_are_refused_on_every_write_route_and_nothing_changes(as_role, unique):
    admin = as_role(Role.ADMIN)
    victim = new_customer(admin, unique)
    before = admin.get(f"/v1/customers/{victim['id']}").json()
    tried = 0
    for method, path, fields in _write_operations():
        url = re.sub(r"{(\w+)}", lambda m: victim["id"] if m.group(1) == "customer_id" else NOBODY, path)
        url = _concrete(url)
        for field in fields:
            body = BASE.get(path, {}) | {field: "01ARZ3NDEKTSV4RRFFQ69G5FAV" if field.endswith("id") else "x"}
            response = getattr(admin, method)(url, json=body)
            assert response.status_code == 422, (method, path, field, response.text)
            assert any(p["path"].split(".")[-1] == field for p in error(response)["fields"]), (path, field)
            tried += 1
    assert tried > 40  # id, version, status, created_by, churn_risk, ... on each write route
    assert admin.get(f"/v1/customers/{victim['id']}").json() == before


# -- API4: unrestricted resource consumption ------------------------------------------------------
def test_deep_large_and_greedy_requests_are_refused_in_the_common_shape(as_role):
    admin = as_role(Role.ADMIN)
    json_header = {"Content-Type": "application/json"}
    deep = '{"given_name":' + "[" * 20_000 + "]" * 20_000 + "}"
    cases = {
        "nested 20,000 deep": (admin.post("/v1/customers", data=deep, headers=json_header), 400, "body_too_deep"),
        "over 64 KiB": (admin.post("/v1/customers", data="[" + "1," * 40_000 + "1]", headers=json_header), 413, None),
        "over the gateway's 10 MB": (admin.post("/v1/imports", data=b"x" * 10_500_000, headers=json_header), 413, None),
        "page of 1,000": (admin.get("/v1/customers", params={"limit": 1000}), 422, "validation_failed"),
        "1,000 tags in one body": (
            admin.post("/v1/customers", json={"given_name": "A", "tags": [f"t{i}" for i in range(1000)]}),
            422,
            "validation_failed",
        ),
    }
    for what, (response, status, code) in cases.items():
        assert response.status_code == status, (what, response.text[:300])
        assert code is None or error(response)["code"] == code, what


# -- API1: broken object level authorization ------------------------------------------------------
def test_one_customers_ids_under_another_customers_path_are_not_found(as_role, unique):
    support = as_role(Role.SUPPORT)
    ada, bob = new_customer(support, unique), new_customer(support, unique, "Bob")
    subscription = support.post(
        f"/v1/customers/{ada['id']}/subscriptions", json=BASE["/v1/customers/{customer_id}/subscriptions"]
    )
    ticket = support.post(
        f"/v1/customers/{ada['id']}/interactions", json={"type": "ticket", "subject": "Refund", "body": "Card 4242"}
    )
    assert subscription.status_code == 201 and ticket.status_code == 201, (subscription.text, ticket.text)
    under_bob = f"/v1/customers/{bob['id']}"
    assert support.get(f"{under_bob}/subscriptions/{subscription.json()['id']}").status_code == 404
    assert support.post(f"{under_bob}/subscriptions/{subscription.json()['id']}/renew", json={}).status_code == 404
    patched = support.patch(f"{under_bob}/interactions/{ticket.json()['id']}", json={"status": "solved"})
    assert patched.status_code == 404
    assert support.get(f"/v1/customers/{ada['id']}/timeline").json()["items"][0]["status"] == "open"


def _cursor(plain: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def test_cursors_cannot_be_carried_to_another_customer_or_crafted_to_reach_other_items(as_role, unique):
    support = as_role(Role.SUPPORT)
    ada, bob = new_customer(support, unique), new_customer(support, unique, "Bob")
    for customer in (ada, bob):
        for n in range(3):
            note = {"type": "note", "text": f"note {n}"}
            assert support.post(f"/v1/customers/{customer['id']}/interactions", json=note).status_code == 201
    first = support.get(f"/v1/customers/{ada['id']}/timeline", params={"limit": 1}).json()
    adas = first["next_cursor"]
    plain = json.loads(base64.urlsafe_b64decode(adas + "=" * (-len(adas) % 4)))
    pointed_at_bob = {k: v.replace(ada["id"], bob["id"]) for k, v in plain.items()}
    crafted = {
        "Ada's cursor on Bob's timeline": (bob["id"], adas),
        "Ada's path, a cursor naming Bob's items": (ada["id"], _cursor(pointed_at_bob)),
        "a key outside the timeline": (ada["id"], _cursor({k: "PROFILE" for k in plain})),
        "an extra key attribute": (ada["id"], _cursor(plain | {"GSI1PK": "CUSTOMERS"})),
        "an expression, not a key": (ada["id"], _cursor({k: "#x = :y OR 1=1" for k in plain})),
        "not base64 JSON": (ada["id"], "!!!"),
        "nested JSON": (ada["id"], _cursor({"PK": {"S": ada["id"]}})),
    }
    for what, (customer_id, cursor) in crafted.items():
        response = support.get(f"/v1/customers/{customer_id}/timeline", params={"cursor": cursor})
        assert response.status_code == 400, (what, response.text)
        assert error(response)["fields"] == [{"path": "cursor", "problem": "not a cursor from this list"}], what
    second = support.get(f"/v1/customers/{ada['id']}/timeline", params={"limit": 1, "cursor": adas}).json()
    assert [item["customer_id"] for item in second["items"]] == [ada["id"]]


@pytest.mark.parametrize(
    "params",
    [
        {"tag": "vip) OR (attribute_exists(PK)"},
        {"tag": "#PK"},
        {"email": "' OR '1'='1"},
        {"email": "*@example.com"},
        {"phone": "+1 (415) 555-01%"},
        {"external_id": "billing:*"},
        {"external_id": ":"},
        {"status": "active OR archived"},
        {"churn_risk": "low"},
    ],
)
def test_filter_values_built_to_break_expressions_are_refused_or_match_nothing(as_role, params):
    response = as_role(Role.MARKETING).get("/v1/customers", params=params)
    assert response.status_code in (200, 400, 422), response.text
    if response.status_code == 200:
        assert response.json()["items"] == []
    else:
        assert error(response)["fields"], response.text
