"""`make bench`: every section below, measured, printed and written to bench/results.json.

Each section is a module of bench/ with `measure() -> dict` (the figures, JSON-ready) and
`report(figures: dict) -> None` (prints them, from the dict alone), and may have
`failures(figures) -> list[str]` (what makes `make bench` exit 1: a figure over its budget, a failed
check). bench/results.json holds {section: figures} and is committed, so figures compare between
commits; tests/unit/test_bench_results.py checks that each report prints exactly its figures.

    .venv/bin/python bench/run.py                          # every section (about 35 minutes)
    .venv/bin/python bench/run.py --only api_requests churn  # these again; the others kept from the file
    .venv/bin/python bench/run.py --report                 # print the committed figures, measure nothing

Counts, not timings, wherever a count says it (requests, items read); timings are of this machine
and run, to be read against the other figures of the same run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

import environment  # noqa: F401  (first: the settings every cis module reads at import)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"

# The sections, in the order they run and print: adding one is adding its module's name here.
SECTIONS = [
    "api_requests",  # requests per API operation, synchronous and in the stream, against their budgets
    "duplicates",  # duplicate detection: precision and recall on a labelled population
    "imports",  # import throughput on the local runtime against one POST per row, and the import's checks
    "jobs",  # the renewal-reminders job: items read against reminders due (20,000 and 200,000 customers)
    "churn",  # the churn-check job: items read per watched customer, a re-run, the ranking (20,000 and 200,000)
    "load",  # a load run on the local runtime
    "coldstart",  # each function's init + first request, as Lambda pays it, against two floors
]


def failures(name: str, module, figures: dict) -> list[str]:
    if hasattr(module, "failures"):
        return module.failures(figures)
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="measure these sections; keep the others")
    parser.add_argument("--report", action="store_true", help="print bench/results.json; measure nothing")
    args = parser.parse_args(argv)
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    measuring = [] if args.report else (args.only or SECTIONS)
    problems = []
    for number, name in enumerate(SECTIONS):
        module = importlib.import_module(name)
        if name in measuring:
            saved[name] = module.measure()
            # Written after each section, so a failure late in a long run keeps what was measured.
            results = {section: saved[section] for section in SECTIONS if section in saved}
            RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        elif name not in saved:
            print(f"\n{name}: not in bench/results.json (run bench/run.py --only {name})")
            continue
        if number:
            print()
        module.report(saved[name])
        problems += failures(name, module, saved[name])
    if measuring:
        print(f"\nwritten to bench/results.json: {', '.join(measuring)}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
