"""`make bench`: DynamoDB requests per API operation, duplicate detection quality, import throughput,
items read by the renewal-reminders job against reminders due and by the churn-check job against the
customers watched that day, with how well the churn score ranks (20k and 200k customers), a load run
on the local runtime (requests/s, p50/p99, errors and lost updates), and handler import time against boto3.

Counts, not timings, for the requests (botocore event hooks on the handler's own client);
the import figures are medians of fresh interpreters, reported as ratios to `import boto3`
measured in the same run, because absolute times on shared machines mean little.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import environment  # noqa: F401  (first: the settings every cis module reads at import)

ROOT = Path(__file__).resolve().parents[1]

# operation -> most DynamoDB requests allowed (None: reported, no budget set by the issue)
BUDGET = {
    # One transaction, plus one Query per blocking key the duplicate check probes (at most ~5; Ada has 1).
    "create": 2,
    "create with Idempotency-Key": None,
    "get": 1,
    "patch (independent fields)": 1,
    "patch (email change)": None,
    "lookup by email": 2,
    "list page": 1,
    "interaction write (order)": 1,
    "timeline page": 1,
    # The type index holds no profile: a first page reads it too, to answer 404 or 410 (merged).
    "timeline page by type": 2,
    "360 view": 1,
    "archive": None,
    "list duplicate pairs": 1,
    "merge (2 customers)": None,
    "import: 200-row chunk": None,
}
IMPORT_CHUNK = 200
IMPORT_RUNS = 7


def request_counts() -> dict[str, int]:
    import boto3
    from cis.topology import FUNCTIONS, Role
    from cis_local import tokens
    from cis_local.functions import load_handler
    from cis_local.gateway import Gateway, LambdaContext
    from cis_local.request_counter import RequestCounter
    from cis_local.synthetic import import_file
    from cis_local.table import ensure_table
    from moto import mock_aws

    with mock_aws():
        ensure_table(boto3.client("dynamodb"), "cis-bench")
        modules = {f.name: load_handler(f) for f in FUNCTIONS if f.routes and f.table_access != "none"}
        counters = [RequestCounter(module.client) for module in modules.values()]
        gateway = Gateway()
        claims = tokens.verify(tokens.mint([Role.SUPPORT]))

        def call(method: str, url: str, body: dict | None = None, **headers: str) -> dict:
            """Through the function the topology routes to, with the event the local gateway builds."""
            binding, params = gateway.match(method, url.split("?")[0])
            raw = json.dumps(body).encode() if body is not None else b""
            header_lists = {"Content-Type": ["application/json"]} | {
                k.replace("_", "-"): [v] for k, v in headers.items()
            }
            event = gateway.event(binding, method, url, header_lists, raw, params, claims)
            response = modules[binding.function.name].handler(event, LambdaContext(binding.function))
            assert response["statusCode"] < 300, response
            return json.loads(response["body"]) if response.get("body") else {}

        # Warm up: the first call creates connections and caches nothing DynamoDB-side.
        call("POST", "/v1/customers", {"given_name": "Warm", "emails": [{"address": "warm@example.com"}]})
        counts = {}

        def measure(name: str, *args, **kwargs):
            before = sum(counter.total for counter in counters)
            result = call(*args, **kwargs)
            counts[name] = sum(counter.total for counter in counters) - before
            return result

        customer = measure(
            "create", "POST", "/v1/customers", {"given_name": "Ada", "emails": [{"address": "ada@example.com"}]}
        )
        measure(
            "create with Idempotency-Key",
            "POST",
            "/v1/customers",
            {"given_name": "Bo", "emails": [{"address": "bo@example.com"}]},
            Idempotency_Key="bench-1",
        )
        path = f"/v1/customers/{customer['id']}"
        measure("get", "GET", path)
        measure("patch (independent fields)", "PATCH", path, {"locale": "en-GB"}, If_Match='"1"')
        measure("patch (email change)", "PATCH", path, {"emails": [{"address": "ada@example.org"}]}, If_Match='"2"')
        measure("lookup by email", "GET", "/v1/customers?email=ada@example.org")
        measure("list page", "GET", "/v1/customers?limit=25")
        order = {"type": "order", "external_order_id": "b-1", "amount": "12.50", "currency": "EUR"}
        measure("interaction write (order)", "POST", f"{path}/interactions", order)
        for _ in range(30):  # a timeline longer than the view, so the view has to stop early
            call("POST", f"{path}/interactions", {"type": "activity", "activity": "visit", "channel": "web"})
        measure("timeline page", "GET", f"{path}/timeline?limit=25")
        measure("timeline page by type", "GET", f"{path}/timeline?type=order&limit=25")
        measure("360 view", "GET", f"{path}/360")
        other = call("POST", "/v1/customers", {"given_name": "Ada", "emails": [{"address": "ada2@example.com"}]})
        measure("list duplicate pairs", "GET", "/v1/duplicates?limit=25")
        measure("merge (2 customers)", "POST", f"{path}/merge", {"merge_ids": [other["id"]]})
        measure("archive", "DELETE", path)
        generated = import_file(rows=IMPORT_CHUNK, seed=5)
        measure("import: 200-row chunk", "POST", "/v1/imports", {"csv": generated.text})
        return counts


def _import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    samples = []
    for _ in range(IMPORT_RUNS):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def import_ratios() -> tuple[float, dict[str, float]]:
    from cis.topology import FUNCTIONS

    env_tracing = os.environ.pop("POWERTOOLS_TRACE_DISABLED")  # import Tracer's X-Ray SDK, as Lambda does
    try:
        _import_seconds("import boto3")  # compile bytecode caches first, so runs compare like with like
        boto3_s = _import_seconds("import boto3")
        handlers = {}
        for function in FUNCTIONS:
            load = (
                "from cis_local.functions import load_handler, function_named; "
                f"load_handler(function_named({function.name!r}))"
            )
            _import_seconds(load)
            handlers[function.name] = _import_seconds(load)
    finally:
        os.environ["POWERTOOLS_TRACE_DISABLED"] = env_tracing
    return boto3_s, handlers


def main() -> int:
    counts = request_counts()
    print("DynamoDB requests per API call (through each function's handler, moto, counted with botocore event hooks)")
    print(f"  {'operation':<30}{'requests':>9}{'budget':>8}  verdict")
    over = []
    for name, count in counts.items():
        budget = BUDGET[name]
        verdict = "-" if budget is None else ("ok" if count <= budget else "OVER BUDGET")
        if budget is not None and count > budget:
            over.append(name)
        print(f"  {name:<30}{count:>9}{budget if budget is not None else '-':>8}  {verdict}")

    per_row = counts["import: 200-row chunk"] / IMPORT_CHUNK
    print(f"  {'import: requests per row':<30}{per_row:>9.2f}{'-':>8}  -")

    from cis.domain.matching import LIKELY, LISTED
    from cis_local.synthetic import measure, population

    people = population()
    print("\nDuplicate detection on a labelled population (2,000 people, 200 true duplicates, 200 look-alikes)")
    quality = {}
    for label, threshold in (("likely (409 on create)", LIKELY), ("listed (/v1/duplicates)", LISTED)):
        found = measure(people, threshold)
        quality[label] = {"precision": round(found.precision, 3), "recall": round(found.recall, 3)}
        print(f"  {label:<30} precision {found.precision:.3f}  recall {found.recall:.3f}")
    print(f"  {'pairs compared per record':<30} {found.compared / len(people):.2f}  (blocking, never the whole base)")

    from imports import check

    throughput = check(rows=1000, naive_rows=200)
    print("\nImport throughput on the local runtime (cis run: HTTP, moto server, stream processor alongside)")
    print(f"  {'cis import, 1,000 rows':<38}{throughput['import_rows_per_s']:>9} rows/s")
    print(f"  {'one POST per row, 200 rows':<38}{throughput['naive_rows_per_s']:>9} rows/s")
    print(f"  {'ratio':<38}{throughput['speedup']:>9} x")
    print(f"  checks: {', '.join(f'{k} {chr(10003) if v else chr(10007)}' for k, v in throughput['checks'].items())}")

    import jobs

    print()
    reminder_reads = jobs.measure()
    jobs.report(reminder_reads)

    import churn

    print()
    churn_check = churn.measure()
    churn.report(churn_check)

    import load

    print()
    load_figures = load.measure()
    load.report(load_figures)

    boto3_s, handlers = import_ratios()
    print(f"\nHandler import time, median of {IMPORT_RUNS} fresh interpreters (Python {sys.version.split()[0]})")
    print(f"  {'module':<38}{'ms':>9}{'x boto3':>9}")
    print(f"  {'import boto3':<38}{boto3_s * 1000:>9.0f}{1.0:>9.2f}")
    for name, seconds in handlers.items():
        print(f"  {'functions/' + name + '/handler':<38}{seconds * 1000:>9.0f}{seconds / boto3_s:>9.2f}")

    results = {
        "dynamodb_requests": counts,
        "import_requests_per_row": round(per_row, 2),
        "duplicate_detection": quality,
        "import_throughput": throughput,
        "renewal_reminders_items_read": reminder_reads,
        "churn_check": churn_check,
        "load": load_figures,
        "budget": BUDGET,
        "import_ms": {"boto3": round(boto3_s * 1000, 1)} | {k: round(v * 1000, 1) for k, v in handlers.items()},
        "import_ratio_to_boto3": {k: round(v / boto3_s, 2) for k, v in handlers.items()},
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\nwritten to bench/results.json")
    if over:
        print(f"over budget: {', '.join(over)}")
    if load_figures["errors"] or load_figures["lost_updates"]:
        print("the load run had errors or lost updates")
    return 1 if over or load_figures["errors"] or load_figures["lost_updates"] else 0


if __name__ == "__main__":
    sys.exit(main())
