"""Each handler's import time against `import boto3`: medians of fresh interpreters, reported as ratios
to `import boto3` measured in the same run, because absolute times on shared machines mean little.

    .venv/bin/python bench/import_ratios.py

(The section `make bench` ran before bench/coldstart.py; moved here unchanged from bench/run.py.)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7  # fresh interpreters per module; the median is kept


def _import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def measure() -> dict:
    from cis.topology import FUNCTIONS

    env_tracing = os.environ.pop("POWERTOOLS_TRACE_DISABLED", None)  # import Tracer's X-Ray SDK, as Lambda does
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
        if env_tracing is not None:
            os.environ["POWERTOOLS_TRACE_DISABLED"] = env_tracing
    return {
        "runs": RUNS,
        "python": sys.version.split()[0],
        "boto3_ms": round(boto3_s * 1000, 1),
        "handlers": {
            name: {"ms": round(seconds * 1000, 1), "ratio_to_boto3": round(seconds / boto3_s, 2)}
            for name, seconds in handlers.items()
        },
    }


def report(results: dict) -> None:
    print(f"Handler import time, median of {results['runs']} fresh interpreters (Python {results['python']})")
    print(f"  {'module':<38}{'ms':>9}{'x boto3':>9}")
    print(f"  {'import boto3':<38}{results['boto3_ms']:>9}{'':>9}")
    for name, figures in results["handlers"].items():
        print(f"  {'functions/' + name + '/handler':<38}{figures['ms']:>9}{figures['ratio_to_boto3']:>9}")


def main() -> int:
    import environment  # noqa: F401  (first: the settings every cis module reads at import)

    report(measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
