"""A bounded load on the local runtime: 8 concurrent clients, 4,000 requests, reads and writes mixed
on 5 hot customers (cis_local.load). Reports requests/s and p50/p99 latency of the gateway-plus-handler
path, errors and lost updates (both must be zero), and writes the figures under "load" in
bench/results.json.

    .venv/bin/python bench/load.py                              # 8 clients, 4,000 requests
    .venv/bin/python bench/load.py --clients 16 --requests 8000

Latency is what a client on the same machine measures, moto's server and the stream processor
included; on 2 shared cores, read it against the other figures of the same run, not across machines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cis_local import load  # noqa: E402
from cis_local.runtime import free_port  # noqa: E402

from tests.api.conftest import start_runtime, stop_runtime  # noqa: E402


def measure(clients: int = 8, requests: int = 4000, hot: int = 5) -> dict:
    port = free_port()
    process = start_runtime(port, "--no-demo")
    try:
        result = load.run(f"http://127.0.0.1:{port}", clients=clients, total=requests, hot=hot)
    finally:
        stop_runtime(process)
    figures = result.figures() | {"clients": clients, "hot_customers": hot}
    figures["first_errors"] = result.errors[:5]
    figures["first_lost_updates"] = result.lost_updates[:5]
    return figures


def report(figures: dict) -> None:
    print(
        f"Load on the local runtime: {figures['clients']} clients, {figures['requests']:,} requests on "
        f"{figures['hot_customers']} hot customers (real HTTP, moto server, stream processor alongside)"
    )
    print(f"  {'requests/s':<28}{figures['requests_per_s']:>10}")
    print(f"  {'p50 latency (ms)':<28}{figures['p50_ms']:>10}")
    print(f"  {'p99 latency (ms)':<28}{figures['p99_ms']:>10}")
    for name, numbers in figures["by_operation"].items():
        print(f"    {name:<26}{numbers['requests']:>10} requests, p50 {numbers['p50_ms']} ms")
    print(f"  {'errors':<28}{figures['errors']:>10}")
    print(f"  {'409 retried after Retry-After':<28}{figures['retries_after_409']:>10}")
    print(f"  {'orders recorded (201)':<28}{figures['orders_recorded']:>10}")
    print(f"  {'lost updates':<28}{figures['lost_updates']:>10}")
    for line in figures["first_errors"] + figures["first_lost_updates"]:
        print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args()
    figures = measure(args.clients, args.requests)
    report(figures)
    results = ROOT / "bench" / "results.json"
    saved = json.loads(results.read_text()) if results.exists() else {}
    results.write_text(json.dumps(saved | {"load": figures}, indent=2) + "\n")
    print("\nwritten to bench/results.json (load)")
    return 1 if figures["errors"] or figures["lost_updates"] else 0


if __name__ == "__main__":
    sys.exit(main())
