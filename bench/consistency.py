"""How long after a write the views fed by the table's stream show it, on the local runtime: a
customer's history, the likely-duplicate pairs, and the tag lists' copies after an edit that is not
a tag change (a tag added or removed is written with its copy, so it shows at once; measured too).

    .venv/bin/python bench/consistency.py               # 20 trials of each
    .venv/bin/python bench/consistency.py --trials 50

Each trial writes through the API, then polls the view every --poll seconds until the write shows;
the figure is the time from the write's response to the first response that shows it (so its
resolution is about one poll plus one request). One untimed round runs first, to start each
function's container. `cis run` polls the stream every 0.3 s when idle, as
Lambda's event source mapping does about once a second per shard: read these as the local runtime's
figures, and as the floor a client must allow for, not as AWS's.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cis.topology import Role  # noqa: E402
from cis_local import tokens  # noqa: E402
from cis_local.runtime import free_port  # noqa: E402

from tests.api.conftest import start_runtime, stop_runtime  # noqa: E402

TIMEOUT_S = 30  # a view that has not caught up by then counts as a miss


class Api:
    def __init__(self, url: str):
        self.url, self.session = url, requests.Session()
        self.session.headers["Authorization"] = f"Bearer {tokens.mint([Role.SUPPORT])}"

    def call(self, method: str, path: str, expect: int = 200, **kwargs) -> dict:
        response = self.session.request(method, self.url + path, timeout=30, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else {}

    def customer(self, **fields) -> dict:
        return self.call("POST", "/v1/customers", 201, json=fields)


Lag = tuple[float, int] | None  # seconds and reads until the view showed the write; None: it never did


def name() -> str:
    """A family name like no other trial's: names alike would make the trials' customers likely duplicates."""
    return "".join(random.choice("bcdfghjklmnprstvwz") + random.choice("aeiou") for _ in range(5)).capitalize()


def lag(shows: Callable[[], bool], poll_s: float) -> Lag:
    """Seconds until `shows()` is true, from now (just after the write's response), and the reads it took."""
    start, reads = time.perf_counter(), 0
    while True:
        reads += 1
        if shows():
            return time.perf_counter() - start, reads
        if time.perf_counter() - start > TIMEOUT_S:
            return None
        time.sleep(poll_s)


def history_lag(api: Api, poll_s: float) -> Lag:
    """A non-tag edit, until the customer's history holds its entry."""
    customer = api.customer(given_name="Hist", family_name=name())
    wait_until_filed(api, customer["id"], poll_s)
    value = name()
    api.call("PATCH", f"/v1/customers/{customer['id']}", json={"family_name": value})

    def shows() -> bool:
        items = api.call("GET", f"/v1/customers/{customer['id']}/history")["items"]
        return any(change.get("after") == value for entry in items for change in entry["changes"])

    return lag(shows, poll_s)


def duplicates_lag(api: Api, poll_s: float) -> Lag:
    """An edit that makes two customers look alike (Katherine and Kate, now the same birthday), until
    GET /v1/duplicates lists the pair."""
    family, birthday = name(), (date(1940, 1, 1) + timedelta(days=random.randrange(20000))).isoformat()
    first = api.customer(given_name="Katherine", family_name=family, birthday=birthday)
    second = api.customer(given_name="Kate", family_name=family)
    wait_until_filed(api, second["id"], poll_s)
    api.call("PATCH", f"/v1/customers/{second['id']}", json={"birthday": birthday})

    def shows() -> bool:
        cursor = None
        while True:
            page = api.call("GET", "/v1/duplicates", params={"limit": 100} | ({"cursor": cursor} if cursor else {}))
            if any(first["id"] in pair["customer_ids"] for pair in page["items"]):
                return True
            if not (cursor := page["next_cursor"]):
                return False

    return lag(shows, poll_s)


def tag_list_lags(api: Api, poll_s: float) -> tuple[Lag, Lag]:
    """A tag added, until GET /v1/customers?tag= lists the customer; then a non-tag edit, until the
    tag list's copy shows it."""
    tag = f"seg-{uuid.uuid4().hex[:8]}"
    customer = api.customer(given_name="Tag", family_name=name())
    api.call("PUT", f"/v1/customers/{customer['id']}/tags/{tag}")

    def listed(version: int | None = None) -> Callable[[], bool]:
        def shows() -> bool:
            items = api.call("GET", "/v1/customers", params={"tag": tag})["items"]
            return any(
                item["id"] == customer["id"] and (version is None or item["version"] >= version) for item in items
            )

        return shows

    added = lag(listed(), poll_s)
    edited = api.call("PATCH", f"/v1/customers/{customer['id']}", json={"locale": "en-GB"})
    return added, lag(listed(edited["version"]), poll_s)


def wait_until_filed(api: Api, customer_id: str, poll_s: float) -> None:
    """Until the stream processor has handled the customer's create (its history entry is written
    last), so that a trial measures its own write and not the create's backlog."""
    if lag(lambda: bool(api.call("GET", f"/v1/customers/{customer_id}/history")["items"]), poll_s) is None:
        raise RuntimeError(f"the stream did not handle customer {customer_id} within {TIMEOUT_S} s")


def summary(lags: list[Lag]) -> dict:
    seen = sorted(found[0] for found in lags if found is not None)
    if not seen:
        return {"trials": len(lags), "missed": len(lags)}
    p95 = seen[min(len(seen) - 1, round(0.95 * (len(seen) - 1)))]
    return {
        "trials": len(lags),
        "missed": len(lags) - len(seen),
        "first_read": sum(1 for found in lags if found is not None and found[1] == 1),
        "median_ms": round(statistics.median(seen) * 1000),
        "p95_ms": round(p95 * 1000),
        "max_ms": round(seen[-1] * 1000),
    }


def measure(trials: int, poll_s: float) -> dict[str, dict]:
    port = free_port()
    process = start_runtime(port, "--no-demo")
    try:
        api = Api(f"http://127.0.0.1:{port}")
        # One untimed round first: each function's first request starts its container (seconds).
        history_lag(api, poll_s), duplicates_lag(api, poll_s), tag_list_lags(api, poll_s)
        history, duplicates, tag_added, tag_copy = [], [], [], []
        for _ in range(trials):
            history.append(history_lag(api, poll_s))
            duplicates.append(duplicates_lag(api, poll_s))
            added, edited = tag_list_lags(api, poll_s)
            tag_added.append(added)
            tag_copy.append(edited)
    finally:
        stop_runtime(process)
    return {
        "history shows a non-tag edit": summary(history),
        "duplicates list a new pair": summary(duplicates),
        "tag list shows a tag added": summary(tag_added),
        "tag list shows a non-tag edit": summary(tag_copy),
    }


def report(figures: dict[str, dict], poll_s: float) -> None:
    print(f"Time from a write's response until a view shows it, on the local runtime (polled every {poll_s} s)")
    print("(first read: trials whose first read after the write already showed it)")
    print(f"  {'view':<34}{'median ms':>10}{'p95 ms':>9}{'max ms':>9}{'first read':>12}{'missed':>8}")
    for name, numbers in figures.items():
        cells = [numbers.get(key, "-") for key in ("median_ms", "p95_ms", "max_ms", "first_read")]
        first_read, missed = f"{cells[3]}/{numbers['trials']}", f"{numbers['missed']}/{numbers['trials']}"
        print(f"  {name:<34}{cells[0]:>10}{cells[1]:>9}{cells[2]:>9}{first_read:>12}{missed:>8}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--poll", type=float, default=0.02, help="seconds between two reads of a view")
    args = parser.parse_args()
    figures = measure(args.trials, args.poll)
    report(figures, args.poll)
    return 1 if any(numbers["missed"] for numbers in figures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
