"""Every per-customer read answers alike: an unknown id is a 404, a merged one a 410 that points on;
a lookup honours the status asked for."""

import pytest
from cis.topology import Role

A = Role.ADMIN
NOBODY = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
READS = ["", "/360", "/timeline", "/timeline?type=order", "/history", "/consents", "/subscriptions"]


def _customer(client, unique: str, name: str) -> str:
    body = {"given_name": name, "family_name": f"Same{unique}", "emails": [{"address": f"{name}.{unique}@example.com"}]}
    created = client.post("/v1/customers", params={"allow_duplicate": "true"}, json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


@pytest.mark.parametrize("read", READS)
def test_a_read_of_an_unknown_customer_is_a_404(as_role, read):
    response = as_role(A).get(f"/v1/customers/{NOBODY}{read}")
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


def test_every_read_of_a_merged_customer_is_a_410_naming_the_survivor(as_role, unique):
    admin = as_role(A)
    survivor, merged = _customer(admin, unique, "Kept"), _customer(admin, unique, "Gone")
    admin.post(f"/v1/customers/{merged}/interactions", json={"type": "note", "text": "moves on"})
    assert admin.post(f"/v1/customers/{survivor}/merge", json={"merge_ids": [merged]}).status_code == 200
    for read in READS:
        response = admin.get(f"/v1/customers/{merged}{read}")
        assert response.status_code == 410, (read, response.text)
        assert response.json()["error"]["merged_into"] == survivor


def test_an_empty_timeline_and_history_of_a_customer_are_empty_pages_not_404s(as_role, unique):
    admin = as_role(A)
    customer_id = _customer(admin, unique, "New")
    timeline = admin.get(f"/v1/customers/{customer_id}/timeline", params={"type": "order"})
    assert timeline.status_code == 200 and timeline.json()["items"] == []
    assert admin.get(f"/v1/customers/{customer_id}/history").status_code == 200


def test_a_lookup_honours_the_status_asked_for(as_role, unique):
    admin = as_role(A)
    customer_id = _customer(admin, unique, "Arch")
    email = f"Arch.{unique}@example.com"
    assert admin.delete(f"/v1/customers/{customer_id}").status_code == 204
    active = admin.get("/v1/customers", params={"email": email}).json()["items"]
    archived = admin.get("/v1/customers", params={"email": email, "status": "archived"}).json()["items"]
    assert active == [] and [c["id"] for c in archived] == [customer_id]
