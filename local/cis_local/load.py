"""A bounded load on a running local API: concurrent clients on a few hot customers, then exact counts.

Each client is a thread with its own connection and a seeded mix of reads and writes on the same
handful of customers, so writers race each other. Afterwards the customers are read back: every
order that got a 201 must be counted once in `orders_count`, `lifetime_value` and the timeline, and
every tag that got a 200 must be there. A missing one is a lost update; anything but 2xx is an error
(a 409 with Retry-After is retried after the wait, as a client should, and counted as a retry).
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from cis.topology import Role

from cis_local import tokens

# operation -> share of requests
MIX = {
    "get customer": 40,
    "timeline page": 15,
    "360 view": 10,
    "record order": 20,
    "add tag": 10,
    "patch customer": 5,
}
READS = ("get customer", "timeline page", "360 view")
TAGS = [f"load-{n}" for n in range(30)]
MAX_RETRIES = 5


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[tuple[str, int, str]] = field(default_factory=list)
    retries: int = 0
    lost_updates: list[str] = field(default_factory=list)
    orders: Counter = field(default_factory=Counter)
    amounts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    tags: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def figures(self) -> dict:
        every = sorted(ms for values in self.latencies_ms.values() for ms in values)
        reads = sorted(ms for name in READS for ms in self.latencies_ms.get(name, []))
        return {
            "requests": self.requests,
            "requests_per_s": round(self.requests / self.seconds, 1),
            "p50_ms": round(_quantile(every, 0.50), 1),
            "p99_ms": round(_quantile(every, 0.99), 1),
            "reads": {
                "requests": len(reads),
                "p50_ms": round(_quantile(reads, 0.50), 1),
                "p99_ms": round(_quantile(reads, 0.99), 1),
            },
            "by_operation": {
                name: {"requests": len(v), "p50_ms": round(_quantile(sorted(v), 0.5), 1)}
                for name, v in sorted(self.latencies_ms.items())
            },
            "errors": len(self.errors),
            "retries_after_409": self.retries,
            "orders_recorded": sum(self.orders.values()),
            "lost_updates": len(self.lost_updates),
        }


def _quantile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q * 100) - 1] if q < 1 else ordered[-1]


def run(url: str, clients: int = 8, total: int = 4000, hot: int = 5, seed: int = 1) -> LoadResult:
    token = tokens.mint([Role.ADMIN], subject="load-run")
    setup = _session(token)
    customers = [_create(setup, url, n) for n in range(hot)]
    result, lock = LoadResult(), threading.Lock()
    share = [total // clients + (1 if n < total % clients else 0) for n in range(clients)]

    def client(number: int) -> None:
        session, draw = _session(token), random.Random(seed * 1000 + number)
        operations = [name for name, weight in MIX.items() for _ in range(weight)]
        for step in range(share[number]):
            customer = draw.choice(customers)
            name = draw.choice(operations)
            _call(session, url, name, customer, f"{number}-{step}", draw, result, lock)

    def warm_up(job: tuple[str, int]) -> None:
        name, number = job
        _call(_session(token), url, name, customers[number % hot], f"w{number}", random.Random(number), result, lock)

    with ThreadPoolExecutor(clients) as pool:
        # Every operation once per client first, untimed: each function's containers start (import
        # their handler) here, so the figures are the warm path. Its writes are checked all the same.
        list(pool.map(warm_up, [(name, n) for name in MIX for n in range(clients)]))
        result.latencies_ms.clear()
        started = time.perf_counter()
        list(pool.map(client, range(clients)))
    result.seconds = time.perf_counter() - started
    result.requests = sum(len(v) for v in result.latencies_ms.values())
    _check(setup, url, customers, result)
    return result


def _session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _create(session: requests.Session, url: str, n: int) -> str:
    created = session.post(f"{url}/v1/customers", json={"given_name": f"Hot{n}"}, timeout=30)
    created.raise_for_status()
    return created.json()["id"]


def _call(session, url, name, customer, ref, draw, result: LoadResult, lock) -> None:
    base = f"{url}/v1/customers/{customer}"
    amount = Decimal(draw.randint(100, 99_999)) / 100
    tag = draw.choice(TAGS)
    request = {
        "get customer": ("GET", base, None),
        "timeline page": ("GET", f"{base}/timeline?limit=10", None),
        "360 view": ("GET", f"{base}/360", None),
        "record order": (
            "POST",
            f"{base}/interactions",
            {"type": "order", "external_order_id": f"load-{ref}", "amount": str(amount), "currency": "EUR"},
        ),
        "add tag": ("PUT", f"{base}/tags/{tag}", None),
        "patch customer": ("PATCH", base, {"display_name": f"Hot customer {ref}"}),
    }[name]
    for attempt in range(MAX_RETRIES + 1):
        started = time.perf_counter()
        response = session.request(request[0], request[1], json=request[2], timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        retry = response.status_code == 409 and "Retry-After" in response.headers and attempt < MAX_RETRIES
        with lock:
            result.latencies_ms[name].append(elapsed)
            if retry:
                result.retries += 1
            elif response.status_code >= 300:
                result.errors.append((name, response.status_code, response.text[:200]))
            elif name == "record order":
                result.orders[customer] += 1
                result.amounts[customer] += amount
            elif name == "add tag":
                result.tags[customer].add(tag)
        if not retry:
            return
        time.sleep(float(response.headers["Retry-After"]))


def _check(session: requests.Session, url: str, customers: list[str], result: LoadResult) -> None:
    for customer in customers:
        base = f"{url}/v1/customers/{customer}"
        profile = session.get(base, timeout=30).json()
        engagement = profile.get("engagement") or {}
        if engagement.get("orders_count", 0) != result.orders[customer]:
            result.lost_updates.append(f"{customer}: orders_count {engagement.get('orders_count')}")
        value = Decimal(str((engagement.get("lifetime_value") or {}).get("EUR", "0")))
        if value != result.amounts[customer]:
            result.lost_updates.append(f"{customer}: lifetime_value {value} != {result.amounts[customer]}")
        missing = result.tags[customer] - set(profile.get("tags") or [])
        result.lost_updates += [f"{customer}: tag {tag} missing" for tag in sorted(missing)]
        orders = _timeline_orders(session, base)
        if orders != result.orders[customer]:
            result.lost_updates.append(f"{customer}: {orders} orders on the timeline")


def _timeline_orders(session: requests.Session, base: str) -> int:
    count, cursor = 0, None
    while True:
        params = {"type": "order", "limit": 100} | ({"cursor": cursor} if cursor else {})
        page = session.get(f"{base}/timeline", params=params, timeout=30).json()
        count += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return count
