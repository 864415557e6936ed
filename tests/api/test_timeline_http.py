"""The customer's timeline and 360 view over real HTTP, as each team would use them."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from cis.topology import Role

S, M, SALES = Role.SUPPORT, Role.MARKETING, Role.SALES


def new_customer(client, unique) -> str:
    return client.post(
        "/v1/customers", json={"given_name": "Tim", "emails": [{"address": f"tim.{unique}@example.com"}]}
    ).json()["id"]


def record(client, customer_id, body):
    return client.post(f"/v1/customers/{customer_id}/interactions", json=body)


def test_order_ticket_feedback_and_login_show_in_the_360_view_with_engagement(as_role, unique):
    support = as_role(S)
    cid = new_customer(support, unique)
    bodies = [
        {
            "type": "order",
            "external_order_id": f"o-{unique}",
            "amount": "49.90",
            "currency": "EUR",
            "line_items": [{"product_id": "shoe-42", "quantity": 1}],
        },
        {"type": "ticket", "subject": "Wrong size", "body": "The shoes are too small", "category": "returns"},
        {"type": "feedback", "rating": 4, "comment": "Quick refund"},
        {"type": "activity", "activity": "login", "channel": "app"},
    ]
    for body in bodies:
        response = record(support, cid, body)
        assert response.status_code == 201, response.text
    view = support.get(f"/v1/customers/{cid}/360").json()
    assert [entry["type"] for entry in view["timeline"]] == ["activity", "feedback", "ticket", "order"]
    engagement = view["customer"]["engagement"]
    assert (engagement["orders_count"], engagement["open_tickets"], engagement["average_rating"]) == (1, 1, 4.0)
    assert Decimal(engagement["lifetime_value"]["EUR"]) == Decimal("49.90")
    assert engagement["last_activity_at"] and engagement["first_seen_at"]


def test_marketing_sees_engagement_but_no_ticket_bodies_or_notes(as_role, unique):
    support = as_role(S)
    cid = new_customer(support, unique)
    record(support, cid, {"type": "ticket", "subject": "Complaint", "body": "private words"})
    record(support, cid, {"type": "note", "text": "internal remark"})
    view = as_role(M).get(f"/v1/customers/{cid}/360").json()
    assert [entry["type"] for entry in view["timeline"]] == ["ticket"]
    assert view["timeline"][0]["body"] is None and view["timeline"][0]["redacted"] == ["body"]
    assert view["customer"]["engagement"]["open_tickets"] == 1
    page = as_role(M).get(f"/v1/customers/{cid}/timeline").json()["items"]
    assert [entry["type"] for entry in page] == ["ticket"] and page[0]["body"] is None


def test_support_updates_a_ticket_and_marketing_may_not(as_role, unique):
    support = as_role(S)
    cid = new_customer(support, unique)
    ticket = record(support, cid, {"type": "ticket", "subject": "Login", "body": "cannot log in"}).json()
    path = f"/v1/customers/{cid}/interactions/{ticket['id']}"
    assert as_role(M).patch(path, json={"status": "solved"}).status_code == 403
    solved = support.patch(path, json={"status": "solved"})
    assert solved.status_code == 200 and solved.json()["status"] == "solved"
    assert support.get(f"/v1/customers/{cid}/360").json()["customer"]["engagement"]["open_tickets"] == 0


def test_timeline_pages_with_a_cursor_and_filters_by_type(as_role, unique):
    support = as_role(S)
    cid = new_customer(support, unique)
    for index in range(5):
        record(support, cid, {"type": "activity", "activity": "visit", "channel": "web"})
        record(
            support, cid, {"type": "order", "external_order_id": f"{unique}-{index}", "amount": "1", "currency": "EUR"}
        )
    seen, cursor = [], None
    while True:
        page = support.get(
            f"/v1/customers/{cid}/timeline",
            params={"type": "order", "limit": 2} | ({"cursor": cursor} if cursor else {}),
        ).json()
        seen += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert [entry["type"] for entry in seen] == ["order"] * 5
    assert len({entry["id"] for entry in seen}) == 5


def test_bad_interactions_are_4xx_naming_the_field(as_role, unique):
    support = as_role(S)
    cid = new_customer(support, unique)
    cases = [
        ({"type": "order", "external_order_id": "x", "amount": "1.123456", "currency": "EUR"}, 422, "amount"),
        ({"type": "order", "external_order_id": "x", "amount": "1", "currency": "euro"}, 422, "currency"),
        ({"type": "feedback", "rating": 4, "nps": 9}, 422, "body"),
        ({"type": "activity", "activity": "teleport", "channel": "web"}, 422, "activity"),
        ({"type": "note", "text": "x", "occurred_at": "2999-01-01T00:00:00Z"}, 422, "occurred_at"),
        ({"type": "gossip"}, 422, "body"),
    ]
    for body, status, field in cases:
        response = record(support, cid, body)
        assert response.status_code == status, (body, response.text)
        assert any(field in problem["path"] for problem in response.json()["error"]["fields"]), response.text
    assert record(support, "01ARZ3NDEKTSV4RRFFQ69G5FAV", {"type": "note", "text": "x"}).status_code == 404


def test_twenty_concurrent_orders_for_one_customer_count_exactly(as_role, unique):
    sales = as_role(SALES)
    cid = new_customer(as_role(S), unique)

    def place(index):
        body = {"type": "order", "external_order_id": f"{unique}-{index}", "amount": "10.05", "currency": "EUR"}
        for _ in range(5):  # a 409 concurrent_update means "retry", as the API documents
            response = record(sales, cid, body)
            if not (response.status_code == 409 and response.json()["error"]["code"] == "concurrent_update"):
                return response.status_code
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(place, range(20)))
    assert statuses == [201] * 20
    engagement = sales.get(f"/v1/customers/{cid}/360").json()["customer"]["engagement"]
    assert engagement["orders_count"] == 20
    assert Decimal(engagement["lifetime_value"]["EUR"]) == Decimal("201.00")
