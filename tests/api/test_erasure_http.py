"""Erasure over real HTTP: a customer with orders, a ticket, consents, a subscription, a reminder sent
and a merge history is erased; nothing of the person is left in the table, on the bus or in the logs."""

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from cis.topology import FUNCTIONS, Role

from tests.pii import RUN_LOGS
from tests.repository.conftest import daytime_zone

from .conftest import Client

A, S, M = Role.ADMIN, Role.SUPPORT, Role.MARKETING
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def as_role(quiet_api):
    return lambda *roles: Client(quiet_api.url, list(roles))


def table_items(runtime: dict) -> list[dict]:
    client = boto3.client("dynamodb", endpoint_url=runtime["dynamodb_endpoint"])
    items, start = [], None
    while True:
        page = client.scan(TableName=runtime["table_name"], **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        if not (start := page.get("LastEvaluatedKey")):
            return items


def run_job(api, job: str, day: str) -> None:
    port = api.url.rsplit(":", 1)[1]
    runtime_file = Path(tempfile.gettempdir()) / f"cis-runtime-{port}.json"
    done = subprocess.run(
        [sys.executable, "-m", "cis_local.cli", "jobs", "run", job, "--date", day],
        cwd=ROOT,
        env={**os.environ, "CIS_RUNTIME_FILE": str(runtime_file)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def settle(check, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.3)
    return result


def test_erasure_leaves_nothing_of_the_person_but_a_tombstone_and_the_orders_facts(
    as_role, quiet_api, unique, bus_events
):
    admin, support, marketing = as_role(A), as_role(S), as_role(M)
    now = datetime.now(UTC)
    email, phone, family = f"grace.{unique}@example.com", "+14155550188", f"Hopper{unique}"
    person = {
        "given_name": "Grace",
        "family_name": family,
        "birthday": "1906-12-09",
        "emails": [{"address": email}],
        "phones": [{"number": phone}],
        "time_zone": daytime_zone(now),
    }
    grace = support.post("/v1/customers", json=person).json()["id"]
    path = f"/v1/customers/{grace}"
    # A second record of her, merged into the first: its pointer and the merge's steps hold her data too.
    other_email = f"g.hopper.{unique}@example.org"
    twin = support.post(
        "/v1/customers",
        params={"on_duplicate": "allow"},
        json={"given_name": "Grace", "family_name": family, "emails": [{"address": other_email}]},
    ).json()["id"]
    support.post(f"/v1/customers/{twin}/interactions", json={"type": "note", "text": f"Grace said {other_email}"})
    assert support.post(f"{path}/merge", json={"merge_ids": [twin]}).status_code == 200

    order = {"type": "order", "external_order_id": f"o-{unique}", "amount": "42.50", "currency": "EUR"}
    assert support.post(f"{path}/interactions", json=order).status_code == 201
    ticket = {"type": "ticket", "subject": f"Call Grace {family}", "body": f"She wrote from {email}, {phone}"}
    assert support.post(f"{path}/interactions", json=ticket).status_code == 201
    for purpose in ("marketing", "reminders"):
        consent = {"status": "granted", "source": "web-form", "evidence": "signup form v3"}
        assert marketing.put(f"{path}/consents/email/{purpose}", json=consent).status_code == 200
    renews = (now + timedelta(days=7)).date()
    subscription = {"plan": "gym", "renews_at": renews.isoformat(), "price": "9.90", "currency": "EUR"}
    assert support.post(f"{path}/subscriptions", json=subscription).status_code == 201  # due 7 days ahead
    run_job(quiet_api, "renewal-reminders", now.date().isoformat())
    sent = settle(lambda: support.get(f"{path}/timeline", params={"type": "notification"}).json()["items"])
    assert sent and sent[0]["status"] == "sent"  # a reminder went out, and its entry is on the timeline
    assert settle(lambda: len(bus_events(grace, want=8, timeout_s=1)) >= 8)  # the stream has caught up

    assert support.post(f"{path}/erase", json={"reason": "ticket 77", "legal_basis": "objection"}).status_code == 403
    erased = admin.post(f"{path}/erase", json={"reason": "DSR ticket 77", "legal_basis": "consent_withdrawn"})
    assert erased.status_code == 200, erased.text
    assert erased.json()["customers"] == [grace, twin]
    assert erased.json()["items"]["suppressed"] >= 3  # two emails and a phone

    # The customer.erased event reaches the stream, which scrubs the audit trail after the last entry.
    assert settle(lambda: "customer.erased" in [e["detail-type"] for e in bus_events(grace, want=99, timeout_s=1)])
    time.sleep(1)
    # Every read of the customer, as the topology declares them, and writes too: 410 erased.
    reads = [r.path for f in FUNCTIONS for r in f.routes if r.method == "GET" and r.path.endswith("{customer_id}")]
    reads += [r.path for f in FUNCTIONS for r in f.routes if r.method == "GET" and "{customer_id}/" in r.path]
    reads = [p.format(customer_id=grace) for p in reads if p.count("{") == 1]
    assert len(reads) >= 6
    gone = [admin.get(read) for read in reads] + [
        admin.get(f"/v1/customers/{twin}"),
        admin.patch(path, json={"locale": "en-GB"}),
        admin.put(f"{path}/tags/vip"),
        admin.post(f"{path}/interactions", json={"type": "note", "text": "hello"}),
        admin.delete(path),
    ]
    assert [(r.request.url, r.status_code, r.json()["error"]["code"]) for r in gone] == [
        (r.request.url, 410, "erased") for r in gone
    ]

    secrets = [email, other_email, phone, "4155550188", family, "1906-12-09"]
    items = json.dumps(table_items(quiet_api.runtime))
    assert [s for s in secrets if s.lower() in items.lower()] == []
    events = json.dumps(bus_events(grace, want=99, timeout_s=1) + bus_events(twin, want=99, timeout_s=1))
    assert [s for s in secrets if s.lower() in events.lower()] == []
    logs = "".join(log.read_text(errors="replace") for log in RUN_LOGS.glob("*.log"))
    assert [s for s in (email, other_email, phone, family) if s in logs] == []

    stored = table_items(quiet_api.runtime)
    tombstone = next(i for i in stored if i["PK"]["S"] == f"CUST#{grace}" and i["SK"]["S"] == "V#PROFILE")
    assert tombstone["status"]["S"] == "erased" and tombstone["legal_basis"]["S"] == "consent_withdrawn"
    kept = [i for i in stored if i["PK"]["S"] == f"CUST#{grace}" and i.get("type", {}).get("S") == "order"]
    assert [(i["amount"]["S"], i["currency"]["S"]) for i in kept] == [("42.50", "EUR")]

    again = support.post("/v1/customers", json={"given_name": "G", "emails": [{"address": email.upper()}]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "erased_contact"
    rows = f"given_name,email\nG,{email}\nNew,new.{unique}@example.com\n"
    report = support.post("/v1/imports", json={"csv": rows, "source_id": f"after-erasure-{unique}"}).json()
    refused = [r for r in report["results"] if r["outcome"] == "invalid"]
    assert [(r["row"], r["problems"][0]["problem"].split(":")[0]) for r in refused] == [(2, "erased_contact")]
    assert admin.post(f"{path}/erase", json={"reason": "again", "legal_basis": "objection"}).status_code == 410
