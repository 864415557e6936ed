"""Likely duplicates over HTTP: 409 with candidates on create, allow_duplicate, and the pairs list."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from cis.topology import Role

from .conftest import Client

S, M = Role.SUPPORT, Role.MARKETING


@pytest.fixture
def as_role(quiet_api):
    return lambda *roles: Client(quiet_api.url, list(roles))


def filed(client: Client, customer_id: str, timeout_s: float = 30) -> None:
    """Wait until the stream processor has handled the customer's create: its history entry is
    written after the customer is filed for duplicate checks."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.get(f"/v1/customers/{customer_id}/history").json()["items"]:
            return
        time.sleep(0.2)
    pytest.fail(f"the stream did not handle customer {customer_id} within {timeout_s} s")


def pairs_with(client: Client, customer_id: str) -> list[dict]:
    found, cursor = [], None
    while True:
        page = client.get("/v1/duplicates", params={"limit": 100} | ({"cursor": cursor} if cursor else {})).json()
        found += [pair for pair in page["items"] if customer_id in pair["customer_ids"]]
        if not (cursor := page["next_cursor"]):
            return found


def test_a_near_duplicate_is_refused_with_candidates_and_created_when_allowed(as_role, unique):
    support = as_role(S)
    family = f"Lindqvist {unique}"
    robert = support.post(
        "/v1/customers",
        json={
            "given_name": "Robert",
            "family_name": family,
            "birthday": "1980-05-17",
            "emails": [{"address": f"robert.{unique}@gmail.com"}],
        },
    ).json()
    filed(support, robert["id"])
    bob = {"given_name": "Bob", "family_name": family, "emails": [{"address": f"r.o.b.e.r.t.{unique}@gmail.com"}]}

    refused = support.post("/v1/customers", json=bob)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "possible_duplicate" and "allow_duplicate=true" in error["message"]
    [candidate] = error["candidates"]
    assert candidate["customer_id"] == robert["id"] and candidate["score"] >= 0.8
    assert {"same_mailbox", "nickname"} <= {reason["code"] for reason in candidate["reasons"]}

    created = support.post("/v1/customers", params={"allow_duplicate": "true"}, json=bob)
    assert created.status_code == 201 and created.json()["distinct_from"] == [robert["id"]]
    filed(support, created.json()["id"])
    assert pairs_with(as_role(M), robert["id"]) == []  # a choice made once is not asked again


def test_a_create_for_review_is_201_naming_its_pairs_which_are_listed_and_no_distinct_from_is_recorded(as_role, unique):
    support = as_role(S)
    robert, bob = issue_17_pair(unique, 0)
    first = support.post("/v1/customers", json=robert).json()
    created = support.post("/v1/customers", params={"on_duplicate": "review"}, json=bob)
    assert created.status_code == 201, created.text
    pair_id = "~".join(sorted([first["id"], created.json()["id"]]))
    assert created.headers["Review-Pairs"] == pair_id and created.json()["distinct_from"] is None
    deadline = time.monotonic() + 30
    while not (pairs := pairs_with(as_role(M), first["id"])) and time.monotonic() < deadline:
        time.sleep(0.3)
    [pair] = pairs
    assert pair["pair_id"] == pair_id and all(isinstance(reason["weight"], float) for reason in pair["reasons"])
    strict = support.get("/v1/duplicates", params={"min_score": min(1, round(pair["score"], 3) + 0.001)}).json()
    assert pair_id not in [listed["pair_id"] for listed in strict["items"]]
    assert support.get("/v1/duplicates", params={"min_score": "1.5"}).status_code in (400, 422)
    contradiction = support.post("/v1/customers", params={"on_duplicate": "review", "allow_duplicate": "true"}, json={})
    assert contradiction.status_code in (400, 422)


def test_a_dismissed_pair_leaves_the_listing_and_both_customers_remember_it(as_role, unique):
    support = as_role(S)
    robert, bob = issue_17_pair(unique, 1)
    first = support.post("/v1/customers", json=robert).json()
    second = support.post("/v1/customers", params={"on_duplicate": "review"}, json=bob).json()
    pair_id = "~".join(sorted([first["id"], second["id"]]))
    deadline = time.monotonic() + 30
    while not pairs_with(support, first["id"]) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert as_role(M).post(f"/v1/duplicates/{pair_id}/dismiss").status_code == 403  # as merging
    reversed_id = "~".join(sorted([first["id"], second["id"]], reverse=True))
    dismissed = support.post(f"/v1/duplicates/{reversed_id}/dismiss")
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json() == {
        "pair_id": pair_id,
        "customer_ids": sorted([first["id"], second["id"]]),
        "versions": [2, 2],
    }
    assert pairs_with(support, first["id"]) == []  # at once: the dismissal deleted both copies
    assert support.get(f"/v1/customers/{first['id']}").json()["distinct_from"] == [second["id"]]
    assert support.get(f"/v1/customers/{second['id']}").json()["distinct_from"] == [first["id"]]
    filed(support, second["id"])
    assert pairs_with(support, first["id"]) == []
    assert support.post("/v1/duplicates/not-a-pair/dismiss").status_code in (400, 422)
    nobody = "01ARZ3NDEKTSV4RRFFQ69G5FAV~01ARZ3NDEKTSV4RRFFQ69G5FAW"
    assert support.post(f"/v1/duplicates/{nobody}/dismiss").status_code == 404


def test_an_edit_that_makes_two_customers_look_alike_lists_the_pair(as_role, unique):
    support = as_role(S)
    family = f"Okafor {unique}"
    first = support.post(
        "/v1/customers", json={"given_name": "Katherine", "family_name": family, "birthday": "1975-09-30"}
    )
    second = support.post("/v1/customers", json={"given_name": "Kate", "family_name": family})
    first, second = first.json(), second.json()
    filed(support, second["id"])
    assert pairs_with(support, first["id"]) == []

    assert support.patch(f"/v1/customers/{second['id']}", json={"birthday": "1975-09-30"}).status_code == 200
    deadline = time.monotonic() + 30
    while not (pairs := pairs_with(as_role(M), first["id"])) and time.monotonic() < deadline:
        time.sleep(0.3)
    [pair] = pairs
    assert pair["customer_ids"] == sorted([first["id"], second["id"]]) and pair["score"] >= 0.8
    assert {reason["code"] for reason in pair["reasons"]} == {"nickname", "same_birthday"}


def issue_17_pair(unique: str, attempt: int) -> tuple[dict, dict]:
    """Robert Miller <bob.miller@gmail.com> and Bob Miller <bobmiller+shop@gmail.com>: one inbox, one person."""
    family, user = f"Miller {unique}{attempt}", f"bob.miller.{unique}.{attempt}"
    robert = {"given_name": "Robert", "family_name": family, "emails": [{"address": f"{user}@gmail.com"}]}
    bob = {
        "given_name": "Bob",
        "family_name": family,
        "emails": [{"address": f"{user.replace('.', '')}+shop@gmail.com"}],
    }
    return robert, bob


def one_created_one_refused(responses: list) -> None:
    """Exactly one 201, and one 409 possible_duplicate naming it."""
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409], [response.text for response in responses]
    created = next(response for response in responses if response.status_code == 201).json()
    error = next(response for response in responses if response.status_code == 409).json()["error"]
    assert error["code"] == "possible_duplicate"
    assert [candidate["customer_id"] for candidate in error["candidates"]] == [created["id"]]


def test_the_same_person_posted_twice_back_to_back_is_one_201_and_one_409(as_role, unique):
    support = as_role(S)
    for attempt in range(5):  # no pause, no waiting for the stream: the create files its own blocks
        robert, bob = issue_17_pair(unique, attempt)
        one_created_one_refused([support.post("/v1/customers", json=robert), support.post("/v1/customers", json=bob)])


def test_the_same_person_posted_twice_at_once_is_one_201_and_one_409_every_time(as_role, unique):
    clients = [as_role(S), as_role(S)]  # a connection each, so the two requests really overlap
    for attempt in range(15):
        bodies, start = issue_17_pair(unique, attempt), threading.Barrier(2)

        def post(side: int, bodies=bodies, start=start):
            start.wait()
            return clients[side].post("/v1/customers", json=bodies[side])

        with ThreadPoolExecutor(max_workers=2) as pool:
            one_created_one_refused(list(pool.map(post, range(2))))
