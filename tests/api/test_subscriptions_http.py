"""Subscriptions over real HTTP: start, read in the 360 view, change with If-Match, renew, and no lost update."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from cis.topology import Role

S, M = Role.SUPPORT, Role.MARKETING
RENEWS = (datetime.now(UTC) + timedelta(days=90)).date()
GYM = {"plan": "gym-monthly", "renews_at": RENEWS.isoformat(), "price": "29.90", "currency": "EUR"}


def customer(client, unique) -> str:
    body = {
        "given_name": "Sub",
        "family_name": f"Scriber{unique}",
        "emails": [{"address": f"sub.{unique}@example.com"}],
    }
    response = client.post("/v1/customers", params={"allow_duplicate": "true"}, json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_subscription_is_started_read_alone_in_the_list_and_in_the_360_view(as_role, unique):
    support = as_role(S)
    customer_id = customer(support, unique)
    created = support.post(f"/v1/customers/{customer_id}/subscriptions", json=GYM)
    assert created.status_code == 201, created.text
    subscription = created.json()
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"] == f"/v1/customers/{customer_id}/subscriptions/{subscription['id']}"
    assert (subscription["status"], subscription["auto_renew"], subscription["price"]) == ("active", True, "29.90")
    assert [r["lead_days"] for r in subscription["reminders"]] == [30, 7, 1]

    marketing = as_role(M)
    assert marketing.get(created.headers["Location"]).json() == subscription
    assert marketing.get(f"/v1/customers/{customer_id}/subscriptions").json()["items"] == [subscription]
    view = marketing.get(f"/v1/customers/{customer_id}/360").json()
    assert view["customer"]["subscriptions"] == {subscription["id"]: subscription}


def test_patch_with_if_match_and_renew_move_the_renewal_day(as_role, unique):
    support = as_role(S)
    customer_id = customer(support, unique)
    path = support.post(f"/v1/customers/{customer_id}/subscriptions", json=GYM).headers["Location"]
    changed = support.patch(path, json={"auto_renew": False}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    assert support.patch(path, json={"price": "1"}, headers={"If-Match": '"1"'}).status_code == 412

    renewed = support.post(f"{path}/renew")
    assert renewed.status_code == 200, renewed.text
    following = renewed.json()["renews_at"]
    assert following > GYM["renews_at"] and renewed.json()["version"] == 3
    backwards = support.post(f"{path}/renew", json={"renews_at": GYM["renews_at"]})
    assert backwards.status_code == 409 and backwards.json()["error"]["code"] == "not_renewable"


def test_bad_bodies_name_the_field_and_marketing_may_only_read(as_role, unique):
    support = as_role(S)
    customer_id = customer(support, unique)
    listing = f"/v1/customers/{customer_id}/subscriptions"
    bad = support.post(listing, json=GYM | {"currency": "XYZ"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "currency"
    for day in ("19371233", "2027-02-29", 1893456000):
        wrong = support.post(listing, json=GYM | {"renews_at": day})
        assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["path"] == "renews_at"
        assert "YYYY-MM-DD" in wrong.json()["error"]["fields"][0]["problem"]
    unknown = support.post(listing, json=GYM | {"reminders": []})
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["problem"] == "unknown field"
    assert as_role(M).post(listing, json=GYM).status_code == 403
    missing = support.post("/v1/customers/01JAAAAAAAAAAAAAAAAAAAAAAA/subscriptions", json=GYM)
    assert missing.status_code == 404
    path = support.post(listing, json=GYM | {"started_at": "2026-01-01T00:00:00Z"}).headers["Location"]
    before_start = support.patch(path, json={"renews_at": "2025-12-01"})
    assert before_start.status_code == 422 and before_start.json()["error"]["message"].endswith("before started_at")


def test_concurrent_changes_to_one_subscription_lose_no_update(as_role, unique):
    support = as_role(S)
    customer_id = customer(support, unique)
    path = support.post(f"/v1/customers/{customer_id}/subscriptions", json=GYM).headers["Location"]
    patches = [{"price": "35.00"}, {"auto_renew": False}, {"billing_external_id": "sub_42"}, {"plan": "gym-premium"}]
    patches += [{"interval": "quarter"}, {"currency": "GBP"}]

    def apply(patch: dict) -> int:
        for _ in range(5):
            response = support.patch(path, json=patch)
            if response.status_code != 409:
                return response.status_code
            time.sleep(float(response.headers.get("Retry-After", "1")) / 10)
        return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(apply, patches)) == [200] * len(patches)
    final = support.get(path).json()
    assert {name: final[name] for patch in patches for name in patch} == {k: v for p in patches for k, v in p.items()}
    assert final["version"] == 1 + len(patches)
