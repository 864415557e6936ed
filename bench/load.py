"""The local runtime under load (`cis run --no-demo`: the gateway, each function's containers, moto's
server in a process of its own, the stream processor alongside), against the goals of issue 16:

- idle, a single GET /v1/customers/{id} through the gateway takes at most twice a raw boto3 GetItem
  of the same profile item on the same moto server (medians of interleaved samples, so both see
  the same moments of a shared machine; the GET over a plain kept-alive connection, and through
  requests alongside);
- a load run (cis_local.load: concurrent clients on 5 hot customers, a seeded mix of reads and
  writes, exact counts afterwards) keeps reads' p99 within 50 ms at 2 clients and 200 ms at 8,
  with no error and no lost update.

    .venv/bin/python bench/load.py                  # idle, then 2 and 8 clients, once each
    .venv/bin/python bench/load.py --repeats 3      # each load run 3 times, medians reported
    .venv/bin/python bench/load.py --clients 16 --requests 8000

Each load run has a fresh runtime. Latency is what a client on the same machine measures; on 2
shared cores other work moves p99 by a factor of two or more from one run to the next: repeat
the runs and read the medians, and read them against the other figures of the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cis.topology import Role  # noqa: E402
from cis_local import load, tokens  # noqa: E402
from cis_local.runtime import DEFAULT_REGION, free_port  # noqa: E402

from tests.api.conftest import start_runtime, stop_runtime  # noqa: E402

IDLE_SAMPLES = 200
IDLE_GOAL_RATIO = 2.0
# clients -> requests in one run, and the most reads' p99 may be (ms)
RUNS = {2: 1000, 8: 2000}
READS_P99_GOAL_MS = {2: 50.0, 8: 200.0}
HOT_CUSTOMERS = 5
# Printed strings that hold a number but are no figure.
LABELS = ("409 retried after Retry-After", "orders recorded (201)")


def idle(samples: int = IDLE_SAMPLES) -> dict:
    """One GET at a time through the gateway, and the same item read with boto3 straight from moto.

    The GET goes over a plain kept-alive http.client connection, so that what is compared is what the
    runtime adds (gateway, container, handler) and not a client library's own cost; the same GET through
    requests (what the tests and the load run use, about 1 ms more a call) is measured alongside.
    """
    import http.client

    import boto3
    import requests

    port = free_port()
    process = start_runtime(port, "--no-demo")
    try:
        url, runtime = f"http://127.0.0.1:{port}", process.runtime
        authorization = f"Bearer {tokens.mint([Role.ADMIN], subject='idle-run')}"
        session = requests.Session()
        session.headers["Authorization"] = authorization
        created = session.post(f"{url}/v1/customers", json={"given_name": "Idle"}, timeout=30)
        created.raise_for_status()
        customer = created.json()["id"]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=runtime["dynamodb_endpoint"],
            region_name=DEFAULT_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        key = {"PK": {"S": f"CUST#{customer}"}, "SK": {"S": "V#PROFILE"}}

        def gateway_get() -> None:
            connection.request("GET", f"/v1/customers/{customer}", headers={"Authorization": authorization})
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200, answer.status

        def gateway_get_requests() -> None:
            session.get(f"{url}/v1/customers/{customer}", timeout=30).raise_for_status()

        def raw_get_item() -> None:
            assert "Item" in dynamodb.get_item(TableName=runtime["table_name"], Key=key)

        time.sleep(1)  # the create's stream records handled: idle means idle
        calls = {gateway_get: [], gateway_get_requests: [], raw_get_item: []}
        for n in range(samples + 10):  # the first 10 of each warm connections and caches, untimed
            for call, into in calls.items():
                started = time.perf_counter()
                call()
                if n >= 10:
                    into.append((time.perf_counter() - started) * 1000)
    finally:
        stop_runtime(process)
    gateway_ms, requests_ms, raw_ms = (sorted(values) for values in calls.values())
    ratio = statistics.median(gateway_ms) / statistics.median(raw_ms)
    return {
        "samples": samples,
        "gateway_get_ms": round(statistics.median(gateway_ms), 2),
        "gateway_get_p90_ms": round(load._quantile(gateway_ms, 0.90), 2),
        "gateway_get_with_requests_ms": round(statistics.median(requests_ms), 2),
        "raw_get_item_ms": round(statistics.median(raw_ms), 2),
        "raw_get_item_p90_ms": round(load._quantile(raw_ms, 0.90), 2),
        "ratio": round(ratio, 2),
        "ratio_with_requests": round(statistics.median(requests_ms) / statistics.median(raw_ms), 2),
        "goal_ratio": IDLE_GOAL_RATIO,
        "met": ratio <= IDLE_GOAL_RATIO,
    }


def load_run(clients: int, requests: int, hot: int = HOT_CUSTOMERS) -> dict:
    """One run of cis_local.load on a fresh runtime: its figures, and the first few errors and lost updates."""
    port = free_port()
    process = start_runtime(port, "--no-demo")
    try:
        result = load.run(f"http://127.0.0.1:{port}", clients=clients, total=requests, hot=hot)
    finally:
        stop_runtime(process)
    figures = result.figures() | {"clients": clients, "hot_customers": hot}
    figures["first_errors"] = [list(error) for error in result.errors[:5]]
    figures["first_lost_updates"] = result.lost_updates[:5]
    return figures


def _median(runs: list[dict], pick) -> float:
    return round(statistics.median(pick(run) for run in runs), 1)


def summary(clients: int, requests: int, runs: list[dict], goal_ms: float | None) -> dict:
    """The runs at one number of clients: medians of the timings, sums of the counts."""
    reads_p99 = _median(runs, lambda run: run["reads"]["p99_ms"])
    errors = sum(run["errors"] for run in runs)
    lost = sum(run["lost_updates"] for run in runs)
    return {
        "clients": clients,
        "requests": requests,
        "hot_customers": runs[0]["hot_customers"],
        "repeats": len(runs),
        "requests_per_s": _median(runs, lambda run: run["requests_per_s"]),
        "p50_ms": _median(runs, lambda run: run["p50_ms"]),
        "p99_ms": _median(runs, lambda run: run["p99_ms"]),
        "reads_p50_ms": _median(runs, lambda run: run["reads"]["p50_ms"]),
        "reads_p99_ms": reads_p99,
        "goal_reads_p99_ms": goal_ms,
        "errors": errors,
        "retries_after_409": sum(run["retries_after_409"] for run in runs),
        "orders_recorded": sum(run["orders_recorded"] for run in runs),
        "lost_updates": lost,
        "met": (goal_ms is None or reads_p99 <= goal_ms) and not errors and not lost,
        "runs": runs,
    }


def measure(runs: dict[int, int] | None = None, repeats: int = 1, hot: int = HOT_CUSTOMERS) -> dict:
    """The idle comparison, then each load run (`runs`: clients -> requests) `repeats` times."""
    results = {"idle": idle(), "load": []}
    for clients, requests in (runs or RUNS).items():
        figures = [load_run(clients, requests, hot) for _ in range(repeats)]
        results["load"].append(summary(clients, requests, figures, READS_P99_GOAL_MS.get(clients)))
    # The totals `make bench` fails on.
    results["errors"] = sum(run["errors"] for run in results["load"])
    results["lost_updates"] = sum(run["lost_updates"] for run in results["load"])
    results["goals_met"] = results["idle"]["met"] and all(run["met"] for run in results["load"])
    for run in results["load"]:  # each run keeps what its own line prints; the summary holds the rest
        run["runs"] = [_run_line(one, first=number == 0) for number, one in enumerate(run["runs"])]
    return results


def _run_line(run: dict, first: bool) -> dict:
    kept = {
        "requests_per_s": run["requests_per_s"],
        "reads_p50_ms": run["reads"]["p50_ms"],
        "reads_p99_ms": run["reads"]["p99_ms"],
        "p99_ms": run["p99_ms"],
        "first_errors": run["first_errors"],
        "first_lost_updates": run["first_lost_updates"],
    }
    return kept | ({"by_operation": run["by_operation"]} if first else {})


def failures(results: dict) -> list[str]:
    """What makes `make bench` fail: errors, lost updates, or a goal missed."""
    found = [f"idle GET {results['idle']['ratio']}x a raw GetItem (goal {results['idle']['goal_ratio']}x)"]
    found = found if not results["idle"]["met"] else []
    for run in results["load"]:
        if not run["met"]:
            found.append(
                f"load at {run['clients']} clients: reads p99 {run['reads_p99_ms']} ms (goal"
                f" {run['goal_reads_p99_ms']}), {run['errors']} errors, {run['lost_updates']} lost updates"
            )
    return found


def _verdict(met: bool) -> str:
    return "ok" if met else "MISSED"


def report(results: dict) -> None:
    idle_figures = results["idle"]
    print("Local runtime (cis run: gateway, function containers, moto server in its own process, stream processor)")
    print(f"  Idle, one request at a time: medians of {idle_figures['samples']} interleaved samples (p90 after)")
    print(
        f"    {'GET /v1/customers/{id}, gateway':<40}{idle_figures['gateway_get_ms']:>8} ms"
        f"  (p90 {idle_figures['gateway_get_p90_ms']}; with requests {idle_figures['gateway_get_with_requests_ms']})"
    )
    print(
        f"    {'GetItem, boto3 straight to moto':<40}{idle_figures['raw_get_item_ms']:>8} ms"
        f"  (p90 {idle_figures['raw_get_item_p90_ms']})"
    )
    print(
        f"    {'ratio':<40}{idle_figures['ratio']:>8} x   goal <= {idle_figures['goal_ratio']} x"
        f"  {_verdict(idle_figures['met'])}  (with requests {idle_figures['ratio_with_requests']} x)"
    )
    for run in results["load"]:
        times = f"medians of {run['repeats']} runs" if run["repeats"] > 1 else f"{run['repeats']} run"
        print(
            f"  Load: {run['clients']} clients, {run['requests']:,} requests on {run['hot_customers']} hot"
            f" customers ({times}, each on a fresh runtime)"
        )
        print(f"    {'requests/s':<40}{run['requests_per_s']:>8}")
        print(f"    {'p50 / p99, all requests (ms)':<40}{run['p50_ms']:>8} / {run['p99_ms']}")
        goal = run["goal_reads_p99_ms"]
        verdict = f"   goal p99 <= {goal} ms  {_verdict(goal is None or run['reads_p99_ms'] <= goal)}" if goal else ""
        print(f"    {'p50 / p99, reads (ms)':<40}{run['reads_p50_ms']:>8} / {run['reads_p99_ms']}{verdict}")
        print(f"    {'errors':<40}{run['errors']:>8}   goal none  {_verdict(not run['errors'])}")
        print(f"    {'lost updates':<40}{run['lost_updates']:>8}   goal none  {_verdict(not run['lost_updates'])}")
        print(f"    {'409 retried after Retry-After':<40}{run['retries_after_409']:>8}")
        print(f"    {'orders recorded (201)':<40}{run['orders_recorded']:>8}")
        for one in run["runs"]:
            print(
                f"    a run: {one['requests_per_s']} requests/s, reads p50 {one['reads_p50_ms']}"
                f" / p99 {one['reads_p99_ms']} ms, all p99 {one['p99_ms']} ms"
            )
            if "by_operation" in one:
                for name, numbers in one["by_operation"].items():
                    print(f"      {name:<30}{numbers['requests']:>6} requests, p50 {numbers['p50_ms']} ms")
            for line in one["first_errors"] + one["first_lost_updates"]:
                print(f"      {line}")
    print(f"  in all: {results['errors']} errors, {results['lost_updates']} lost updates")
    print(f"  goals: {'all met' if results['goals_met'] else 'not all met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs at each number of clients")
    parser.add_argument("--clients", type=int, help="one load run at this many clients instead of 2 and 8")
    parser.add_argument("--requests", type=int, help="requests in that run (with --clients)")
    parser.add_argument("--no-save", action="store_true", help="leave bench/results.json as it is")
    args = parser.parse_args()
    runs = {args.clients: args.requests or RUNS.get(args.clients, 2000)} if args.clients else None
    results = measure(runs, args.repeats)
    report(results)
    if not args.no_save:
        path = ROOT / "bench" / "results.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps(saved | {"load": results}, indent=2) + "\n")
        print("\nwritten to bench/results.json (load)")
    return 1 if results["errors"] or results["lost_updates"] else 0


if __name__ == "__main__":
    sys.exit(main())
