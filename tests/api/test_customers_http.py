"""The staff API over real HTTP, through the local gateway, as a client would use it."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

from cis.topology import Role
from cis_local import tokens

S, M, A = Role.SUPPORT, Role.MARKETING, Role.ADMIN


def create(client, unique, **extra):
    body = {"given_name": "Ada", "emails": [{"address": f"ada.{unique}@example.com"}]} | extra
    return client.post("/v1/customers", json=body)


def error(response) -> dict:
    return response.json()["error"]


def test_support_creates_a_customer_and_reads_it_back(as_role, unique):
    support = as_role(S)
    created = create(support, unique, phones=[{"number": "(415) 555-0100"}])
    assert created.status_code == 201
    customer = created.json()
    assert created.headers["Location"] == f"/v1/customers/{customer['id']}"
    assert created.headers["ETag"] == '"1"'
    assert customer["phones"][0]["number"] == "+14155550100"
    assert customer["created_by"] == "staff:dev-support"
    fetched = support.get(f"/v1/customers/{customer['id']}")
    assert fetched.status_code == 200 and fetched.json() == customer


def test_same_email_again_is_409_naming_the_field_and_the_existing_customer(as_role, unique):
    support = as_role(S)
    first = create(support, unique).json()
    again = support.post(
        "/v1/customers", json={"given_name": "Eve", "emails": [{"address": f"ADA.{unique}@example.com"}]}
    )
    assert again.status_code == 409
    assert error(again)["fields"][0]["path"] == "emails[0].address"
    assert error(again)["existing_customer_id"] == first["id"]


def test_bad_email_is_422_naming_the_field(as_role):
    response = as_role(S).post("/v1/customers", json={"emails": [{"address": "ada@"}]})
    assert response.status_code == 422
    assert error(response)["fields"][0]["path"] == "emails[0].address"
    assert error(response)["message"].startswith("emails[0].address:")


def test_stale_if_match_is_412_and_current_if_match_succeeds(as_role, unique):
    support = as_role(S)
    customer = create(support, unique).json()
    path = f"/v1/customers/{customer['id']}"
    ok = support.patch(path, json={"locale": "en-GB"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = support.patch(path, json={"locale": "fr-FR"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert error(stale)["current_version"] == 2
    assert support.get(path).json()["locale"] == "en-GB"


def test_merge_patch_content_type_and_null_removal(as_role, unique):
    support = as_role(S)
    customer = create(support, unique, family_name="Byron", custom_attributes={"a": 1, "b": 2}).json()
    response = support.patch(
        f"/v1/customers/{customer['id']}",
        data=json.dumps({"family_name": None, "custom_attributes": {"a": None, "c": "x"}}),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["family_name"] is None
    assert response.json()["custom_attributes"] == {"b": 2, "c": "x"}


def test_no_token_is_401_and_a_tampered_or_expired_token_too(anonymous, local_api, unique):
    assert anonymous.get("/v1/customers").status_code == 401
    good = tokens.mint([S])
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    expired = tokens.mint([S], ttl_s=-60)
    for token in (tampered, expired, "not-a-jwt"):
        response = anonymous.session.get(f"{local_api.url}/v1/customers", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert error(response)["code"] == "unauthorized"


def test_marketing_cannot_archive_but_support_can(as_role, unique):
    customer = create(as_role(S), unique).json()
    path = f"/v1/customers/{customer['id']}"
    denied = as_role(M).delete(path)
    assert denied.status_code == 403 and error(denied)["code"] == "forbidden"
    assert as_role(S).delete(path).status_code == 204
    assert as_role(M).get(path).json()["status"] == "archived"


def test_a_token_without_staff_groups_is_403(as_role):
    assert as_role().get("/v1/customers").status_code == 403


def test_idempotency_key_makes_a_retried_create_return_the_first_customer(as_role, unique):
    support = as_role(S)
    body = {"given_name": "Ada", "emails": [{"address": f"idem.{unique}@example.com"}]}
    headers = {"Idempotency-Key": f"key-{unique}"}
    first = support.post("/v1/customers", json=body, headers=headers)
    retry = support.post("/v1/customers", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    reused = support.post("/v1/customers", json=body | {"given_name": "Other"}, headers=headers)
    assert reused.status_code == 422 and error(reused)["code"] == "idempotency_key_reused"


def test_lookup_by_email_phone_and_external_id(as_role, unique):
    support = as_role(S)
    customer = create(support, unique, phones=[{"number": "+44 20 7946 0001"}], external_ids={"billing": unique}).json()
    for query in (
        {"email": f"ADA.{unique}@example.com"},
        {"phone": "+442079460001"},
        {"external_id": f"billing:{unique}"},
    ):
        found = support.get("/v1/customers", params=query).json()
        assert [c["id"] for c in found["items"]] == [customer["id"]], query
    assert support.get("/v1/customers", params={"email": f"none.{unique}@example.com"}).json()["items"] == []


def test_list_pages_with_an_opaque_cursor_until_the_end(as_role, unique):
    support = as_role(S)
    mine = {create(support, f"{unique}{i}").json()["id"] for i in range(7)}
    seen, cursor = [], None
    while True:
        page = support.get("/v1/customers", params={"limit": 3} | ({"cursor": cursor} if cursor else {})).json()
        assert len(page["items"]) <= 3
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert mine <= set(seen)
    assert len(seen) == len(set(seen))


def test_demo_customers_are_loaded(as_role):
    found = as_role(S).get("/v1/customers", params={"email": "amelia.hughes@example.co.uk"}).json()["items"]
    assert found and found[0]["external_ids"] == {"billing": "C-1042", "shop": "88213"}


def test_bad_input_is_a_4xx_in_the_common_shape_never_a_500(as_role, local_api):
    support = as_role(S)
    cases = [
        (support.post("/v1/customers", data="{not json", headers={"Content-Type": "application/json"}), 400),
        (support.post("/v1/customers", json={"given_name": "A", "shoe_size": 44}), 422),
        (support.post("/v1/customers", json={"given_name": "A", "id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}), 422),
        (support.post("/v1/customers", json=["a", "list"]), 422),
        (support.post("/v1/customers", json={"given_name": 12}), 422),
        (support.post("/v1/customers", json={"given_name": "A", "tags": ["x"] * 51}), 422),
        (support.post("/v1/customers", data="x" * 70_000, headers={"Content-Type": "application/json"}), 413),
        (support.post("/v1/customers", data="a=b", headers={"Content-Type": "text/plain"}), 415),
        (support.get("/v1/customers/not-an-id"), 422),
        (support.get("/v1/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404),
        (support.patch("/v1/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV", json={"locale": "en-GB"}), 404),
        (support.patch("/v1/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV", json={}), 422),
        (support.get("/v1/customers", params={"limit": 0}), 422),
        (support.get("/v1/customers", params={"limit": "many"}), 422),
        (support.get("/v1/customers", params={"cursor": "eyJQSyI6IktFWSJ9"}), 400),
        (support.get("/v1/customers", params={"email": "a@example.com", "phone": "+14155550100"}), 400),
        (support.get("/v1/nothing-here"), 404),
        (support.put("/v1/customers"), 404),  # as API Gateway: no such route for that method
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.method, response.request.url, response.text)
        body = response.json()["error"]
        assert body["code"] and body["message"] and isinstance(body["fields"], list)


def test_concurrent_patches_lose_no_update(as_role, unique):
    support = as_role(S)
    customer = create(support, unique).json()
    path = f"/v1/customers/{customer['id']}"

    def add_attribute(i):
        # As a client should: a 409 concurrent_update carries Retry-After and means "try again".
        for _ in range(5):
            response = support.patch(path, json={"custom_attributes": {f"k{i}": i}})
            if response.status_code != 409:
                return response.status_code
            assert error(response)["code"] == "concurrent_update" and response.headers["Retry-After"]
            time.sleep(0.05)
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(add_attribute, range(20)))
    assert statuses == [200] * 20
    final = support.get(path).json()
    assert final["custom_attributes"] == {f"k{i}": i for i in range(20)}
    assert final["version"] == 21


def test_openapi_document_and_swagger_ui_are_served_without_a_token(anonymous):
    spec = anonymous.get("/v1/openapi.json")
    assert spec.status_code == 200
    assert "/v1/customers/{customer_id}" in spec.json()["paths"]
    assert spec.json()["servers"] == [{"url": "/"}]  # locally the API sits at the root
    docs = anonymous.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text.lower()
    assert anonymous.get("/docs", params={"format": "json"}).json() == spec.json()


def test_archived_customer_is_listed_only_under_status_archived(as_role, unique):
    support = as_role(A)
    customer = create(support, unique).json()
    support.delete(f"/v1/customers/{customer['id']}")
    archived = support.get("/v1/customers", params={"status": "archived", "limit": 100}).json()["items"]
    assert customer["id"] in {c["id"] for c in archived}


def test_an_archived_customer_takes_no_writes_and_leaves_every_list_until_restored(as_role, unique):
    support, marketing, admin = as_role(S), as_role(M), as_role(A)
    tag = f"arch-{unique}"
    customer = create(support, unique, tags=[tag]).json()
    path = f"/v1/customers/{customer['id']}"
    assert support.delete(path).status_code == 204
    archived = support.get(path).json()
    assert archived["status"] == "archived" and archived["archived_at"]

    refused = [
        support.patch(path, json={"family_name": "Byron"}),
        support.patch(path, json={"locale": "en-GB"}),  # a field no block holds: the one-request path
        support.put(f"{path}/tags/vip"),
        support.delete(f"{path}/tags/{tag}"),
        support.post(f"{path}/interactions", json={"type": "note", "text": "called"}),
        marketing.put(
            f"{path}/consents/email/marketing", json={"status": "granted", "source": "web", "evidence": "f1"}
        ),
        support.post(
            f"{path}/subscriptions", json={"plan": "gym", "renews_at": "2027-01-01", "price": "9", "currency": "EUR"}
        ),
    ]
    assert [(r.status_code, error(r)["code"]) for r in refused] == [(409, "archived")] * len(refused)
    assert "restore" in error(refused[0])["message"]
    assert support.get(path).json()["version"] == archived["version"]  # nothing was written
    assert support.delete(path).status_code == 204  # archiving twice changes nothing
    assert marketing.get("/v1/customers", params={"tag": tag}).json()["items"] == []
    active = support.get("/v1/customers", params={"limit": 100}).json()["items"]
    assert customer["id"] not in {c["id"] for c in active}

    assert marketing.post(f"{path}/restore").status_code == 403  # admin and support only
    restored = admin.post(f"{path}/restore")
    assert restored.status_code == 200 and restored.json()["status"] == "active"
    assert restored.json()["archived_at"] is None and restored.headers["ETag"] == f'"{archived["version"] + 1}"'
    assert admin.post(f"{path}/restore").json()["version"] == archived["version"] + 1  # twice: no change
    assert [c["id"] for c in marketing.get("/v1/customers", params={"tag": tag}).json()["items"]] == [customer["id"]]
    assert support.patch(path, json={"family_name": "Byron"}).status_code == 200


def test_concurrent_creates_with_one_email_make_exactly_one_customer(as_role, unique):
    support = as_role(S)
    body = {"given_name": "Twin", "emails": [{"address": f"twin.{unique}@example.com"}]}
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(lambda _: support.post("/v1/customers", json=body).status_code, range(8)))
    assert statuses == [201] + [409] * 7


def test_marketing_lists_customers_by_tag_page_by_page(as_role, unique):
    support, marketing = as_role(S), as_role(M)
    tag = f"seg-{unique}"
    created = {create(support, f"{unique}{i}", tags=[tag, "newsletter"]).json()["id"] for i in range(5)}
    seen, cursor = [], None
    while True:
        page = marketing.get(
            "/v1/customers", params={"tag": tag.upper(), "limit": 2} | ({"cursor": cursor} if cursor else {})
        )
        assert page.status_code == 200, page.text
        seen += [c["id"] for c in page.json()["items"]]
        if not (cursor := page.json()["next_cursor"]):
            break
    assert set(seen) == created and len(seen) == 5
    assert marketing.get("/v1/customers", params={"tag": "no spaces"}).status_code == 422


def test_concurrent_tag_additions_by_different_people_all_stick(as_role, unique):
    customer = create(as_role(S), unique).json()
    marketing = as_role(M)

    def add(index):
        for _ in range(5):
            response = marketing.put(f"/v1/customers/{customer['id']}/tags/t{index}")
            if response.status_code != 409:
                return response.status_code
        return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(add, range(12))) == [200] * 12
    assert sorted(as_role(S).get(f"/v1/customers/{customer['id']}").json()["tags"]) == sorted(
        f"t{i}" for i in range(12)
    )
    removed = marketing.delete(f"/v1/customers/{customer['id']}/tags/T3")
    assert removed.status_code == 200 and "t3" not in removed.json()["tags"]
    assert marketing.delete(f"/v1/customers/{customer['id']}/tags/t3").status_code == 200  # already gone: no-op


def test_the_churn_list_pages_riskiest_first_and_refuses_filters_it_cannot_apply(as_role):
    marketing = as_role(Role.MARKETING)
    listed = marketing.get("/v1/customers", params={"churn_risk": "high", "limit": 5})
    assert listed.status_code == 200 and isinstance(listed.json()["items"], list)
    scores = [customer["churn_risk"]["score"] for customer in listed.json()["items"]]
    assert scores == sorted(scores, reverse=True)
    for params, field in [
        ({"churn_risk": "low"}, "churn_risk"),  # everyone else: not a list
        ({"churn_risk": "high", "tag": "vip"}, "tag"),
        ({"churn_risk": "medium", "status": "archived"}, "status"),
    ]:
        response = marketing.get("/v1/customers", params=params)
        assert response.status_code in (400, 422), response.text
        assert [problem["path"] for problem in response.json()["error"]["fields"]][-1].endswith(field)
    other = marketing.get("/v1/customers", params={"status": "active", "limit": 1}).json()["next_cursor"]
    assert marketing.get("/v1/customers", params={"churn_risk": "high", "cursor": other}).status_code == 400


def test_a_birthday_must_be_a_real_yyyy_mm_dd_day_never_a_number_read_as_unix_time(as_role, unique):
    support = as_role(S)
    for value, says in [
        ("86400", "YYYY-MM-DD"),
        ("19371233", "YYYY-MM-DD"),
        (86400, "a number is not read as a date"),
        ("1937-12-33", "not a real date"),
        ("2023-02-29", "not a real date"),
    ]:
        refused = create(support, unique, birthday=value)
        assert refused.status_code == 422, (value, refused.text)
        assert error(refused)["fields"][0]["path"] == "birthday" and says in error(refused)["fields"][0]["problem"]
        assert error(refused)["message"].startswith("birthday: ") and "YYYY-MM-DD" in error(refused)["message"]
    customer = create(support, unique, birthday="1937-12-03").json()
    assert customer["birthday"] == "1937-12-03"
    patched = support.patch(f"/v1/customers/{customer['id']}", json={"birthday": "19371203"})
    assert patched.status_code == 422 and error(patched)["fields"][0]["path"] == "birthday"
    note = {"type": "note", "text": "called", "occurred_at": "1700000000"}
    timed = support.post(f"/v1/customers/{customer['id']}/interactions", json=note)
    assert timed.status_code == 422 and error(timed)["fields"][0]["path"] == "occurred_at"
    assert "ISO 8601" in error(timed)["fields"][0]["problem"]
    assert support.get(f"/v1/customers/{customer['id']}").json()["birthday"] == "1937-12-03"
