"""The right of access over real HTTP: an export holds every kind of item written for the customer."""

import boto3
import pytest
from cis.repository import keys
from cis.topology import Role

from .conftest import Client
from .test_erasure_http import settle

A, S, M = Role.ADMIN, Role.SUPPORT, Role.MARKETING


@pytest.fixture
def as_role(quiet_api):
    return lambda *roles: Client(quiet_api.url, list(roles))


def test_an_export_holds_every_kind_of_item_written_for_the_customer(as_role, quiet_api, unique, bus_events):
    admin, support, marketing = as_role(A), as_role(S), as_role(M)
    body = {
        "given_name": "Ada",
        "family_name": f"Export{unique}",
        "birthday": "1985-12-10",
        "emails": [{"address": f"ada.export.{unique}@example.com"}],
        "tags": ["vip"],
    }
    ada = support.post("/v1/customers", json=body).json()["id"]
    path = f"/v1/customers/{ada}"
    twin = support.post("/v1/customers", params={"on_duplicate": "allow"}, json=body | {"emails": []}).json()["id"]
    support.post(f"/v1/customers/{twin}/interactions", json={"type": "note", "text": "the twin's note"})
    assert support.post(f"{path}/merge", json={"merge_ids": [twin]}).status_code == 200
    later = support.post("/v1/customers", params={"on_duplicate": "review"}, json=body | {"emails": []})
    assert later.status_code == 201  # listed with Ada as a likely duplicate
    order = {"type": "order", "external_order_id": f"x-{unique}", "amount": "10", "currency": "EUR"}
    for entry in (order, {"type": "ticket", "subject": "Help", "body": "please"}, {"type": "feedback", "nps": 9}):
        assert support.post(f"{path}/interactions", json=entry).status_code == 201
    grant = {"status": "granted", "source": "web", "evidence": "signup form v3"}
    assert marketing.put(f"{path}/consents/email/marketing", json=grant).ok
    subscription = {"plan": "gym", "renews_at": "2030-01-01", "price": "9", "currency": "EUR"}
    assert support.post(f"{path}/subscriptions", json=subscription).status_code == 201
    assert settle(lambda: len(bus_events(ada, want=6, timeout_s=1)) >= 6)  # audit entries written
    settle(lambda: any(i["SK"]["S"].startswith(keys.WATCH_PREFIX) for i in _partition(quiet_api, ada)), 10)

    assert support.get(f"{path}/export").status_code == 403  # admin only
    exported = admin.get(f"{path}/export")
    assert exported.status_code == 200, exported.text
    document = exported.json()
    assert exported.headers["Cache-Control"] == "no-store"
    assert document["schema_version"] == "1" and document["customer"]["id"] == ada
    written = {keys.partition_kind(item["SK"]["S"]) for item in _partition(quiet_api, ada)}
    assert None not in written  # every kind written is declared (keys.PARTITION_KINDS)
    assert written - {"customer"} <= {name for name, items in document.items() if items}, written
    assert {"timeline", "consent_history", "subscriptions", "likely_duplicates", "order_keys"} <= written
    assert document["audit"] and document["merged_from"] == [twin]
    assert any(e.get("text") == "the twin's note" for e in document["timeline"])  # what the merge brought
    assert admin.get("/v1/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV/export").status_code == 404

    # The export is on the access log, copied by the stream into the audit space API functions cannot write.
    today = document["exported_at"][:10]

    def logged():
        records = admin.get("/v1/access-log", params={"date": today, "limit": 100}).json()["items"]
        return [r for r in records if (r["action"], r["subject"]) == ("export", ada)]

    [record] = settle(logged, 30)
    assert (record["actor"], record["count"]) == ("staff:dev-admin", 1)
    assert support.get("/v1/access-log", params={"date": today}).status_code == 403
    assert admin.get("/v1/access-log", params={"date": "86400"}).status_code == 422


def test_the_access_log_lives_where_no_api_function_may_write():
    from cis.repository.access_log import TTL
    from cis.topology import TABLE

    assert keys.access_log_partition("2026-12-01").startswith(keys.AUDIT_PREFIX)  # the Deny of tests/infra
    assert TABLE.ttl_attribute == TTL


def _partition(api, customer_id: str) -> list[dict]:
    client = boto3.client("dynamodb", endpoint_url=api.runtime["dynamodb_endpoint"])
    return client.query(
        TableName=api.runtime["table_name"],
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.customer_pk(customer_id)}},
    )["Items"]
