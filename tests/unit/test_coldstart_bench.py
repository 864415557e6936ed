"""bench/coldstart.py runs, returns the figures it promises, and prints those figures and nothing else.

No timing is asserted: the figures depend on the machine. One run of one function and the floors
(pytest -m "not slow" leaves it out), and the report checked against synthetic samples.
"""

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import coldstart

FLOOR_KEYS = {"init_ms", "total_ms", "total_min_ms", "total_max_ms", "init_no_bytecode_ms"}
PAIRED_KEYS = {"ratio_low", "ratio_high"}  # the quartiles of the rounds' ratios to the goal's floor
FUNCTION_KEYS = (
    FLOOR_KEYS | PAIRED_KEYS | {"first_request_ms", "ratio_to_framework", "ratio_to_boto3", "goal", "verdict"}
)
# A figure as printed: digits, perhaps a decimal part, not inside a word (boto3) or a longer number.
FIGURE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\d.])")


def leaves(value) -> list:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def assert_reports_only_its_figures(results: dict, printed: str) -> None:
    numbers = {str(leaf) for leaf in leaves(results) if isinstance(leaf, int | float) and not isinstance(leaf, bool)}
    texts = [leaf for leaf in leaves(results) if isinstance(leaf, str)]
    allowed = numbers | {figure for text in texts for figure in FIGURE.findall(text)}
    assert set(FIGURE.findall(printed)) <= allowed, "a printed figure is not in the results"
    unprinted = [leaf for leaf in map(str, leaves(results)) if leaf not in printed]
    assert not unprinted, f"stored but not printed: {unprinted}"


def sample(init: float, first: float | None = None) -> dict:
    return {"init_ms": init, "modules": 100} | ({"first_request_ms": first} if first is not None else {})


def test_figures_give_each_function_its_goal_and_verdict(capsys):
    samples = {
        coldstart.BOTO3: [sample(200.0), sample(210.0), sample(190.0)],
        coldstart.FRAMEWORK: [sample(480.0, 20.0), sample(500.0, 20.0), sample(490.0, 10.0)],
        "customers_api": [sample(580.0, 30.0), sample(600.0, 30.0), sample(590.0, 20.0)],
        "api_docs": [sample(150.0, 40.0), sample(160.0, 40.0), sample(170.0, 40.0)],
    }
    # Each round's ratio to the floor sampled beside it: the goal's ratio is their median, not the medians'.
    ratios = {coldstart.FRAMEWORK: [2.4, 2.5, 2.6], "customers_api": [1.3, 1.2, 1.22], "api_docs": [1.0, 0.9, 1.1]}
    uncompiled = {name: [900.0, 950.0, 1000.0] for name in samples}
    results = coldstart._figures(3, samples, ratios, uncompiled)
    json.dumps(results)  # results.json takes it as it is

    assert results["floors"][coldstart.BOTO3]["total_ms"] == 200.0
    assert results["floors"][coldstart.FRAMEWORK]["total_ms"] == 500.0
    customers, docs = results["functions"]["customers_api"], results["functions"]["api_docs"]
    assert customers["total_ms"] == 610.0 and customers["ratio_to_framework"] == 1.22
    assert (customers["ratio_low"], customers["ratio_high"]) == (1.21, 1.26)
    assert customers["ratio_to_boto3"] == 3.05  # the other floor's: of the medians
    assert customers["verdict"] == "ok" and "framework" in customers["goal"]
    assert results["floors"][coldstart.FRAMEWORK]["ratio_to_boto3"] == 2.5
    assert docs["total_ms"] == 200.0 and docs["ratio_to_boto3"] == 1.0
    assert docs["verdict"] == "ok" and "boto3" in docs["goal"]
    assert results["verdict"] == "ok"

    coldstart.report(results)
    assert_reports_only_its_figures(results, capsys.readouterr().out)


def test_a_function_over_its_goal_fails_the_verdict():
    samples = {
        coldstart.BOTO3: [sample(200.0)],
        coldstart.FRAMEWORK: [sample(480.0, 20.0)],
        "api_docs": [sample(190.0, 20.0)],  # 1.05x import boto3 sampled beside it
    }
    results = coldstart._figures(1, samples, {coldstart.FRAMEWORK: [2.5], "api_docs": [1.05]}, {})
    assert results["functions"]["api_docs"]["verdict"] == "over goal"
    assert results["verdict"] == "over goal: api_docs"
    assert "init_no_bytecode_ms" not in results["functions"]["api_docs"]  # not measured, not reported
    assert "instructions_m" not in results["functions"]["api_docs"]  # no valgrind, no count


def test_instruction_counts_stand_beside_the_cpu_figures(capsys):
    samples = {
        coldstart.BOTO3: [sample(200.0)],
        coldstart.FRAMEWORK: [sample(480.0, 20.0)],
        "notifier": [sample(560.0, 40.0)],
    }
    instructions = {coldstart.BOTO3: 500.0, coldstart.FRAMEWORK: 1500.0, "notifier": 1800.0, "bare_process": 60.0}
    results = coldstart._figures(1, samples, {coldstart.FRAMEWORK: [2.5], "notifier": [1.2]}, {}, instructions)
    notifier = results["functions"]["notifier"]
    assert notifier["instructions_m"] == 1800.0 and notifier["instructions_ratio"] == 1.2
    assert results["floors"][coldstart.FRAMEWORK]["instructions_ratio"] == 3.0
    assert results["bare_process_instructions_m"] == 60.0

    coldstart.report(results)
    assert_reports_only_its_figures(results, capsys.readouterr().out)


@pytest.mark.slow
def test_the_bench_measures_a_function_and_both_floors_in_lambda_like_processes(capsys):
    results = coldstart.measure(runs=1, functions=["customers_api"])
    json.dumps(results)

    counted = shutil.which("valgrind") is not None  # instruction counts where valgrind is installed
    count = {"instructions_m"} if counted else set()
    ratio = {"instructions_ratio"} if counted else set()
    assert set(results) == {"python", "runs", "goal", "floors", "functions", "verdict"} | (
        {"bare_process_instructions_m"} if counted else set()
    )
    assert set(results["floors"]) == {coldstart.BOTO3, coldstart.FRAMEWORK}
    assert set(results["floors"][coldstart.BOTO3]) == FLOOR_KEYS | count
    framework = FLOOR_KEYS | PAIRED_KEYS | count | ratio | {"first_request_ms", "ratio_to_boto3"}
    assert set(results["floors"][coldstart.FRAMEWORK]) == framework
    assert set(results["functions"]) == {"customers_api"}
    assert set(results["functions"]["customers_api"]) == FUNCTION_KEYS | count | ratio
    figures = [*results["floors"].values(), *results["functions"].values()]
    assert all(found[key] > 0 for found in figures for key in found if key.endswith("_ms"))

    coldstart.report(results)
    assert_reports_only_its_figures(results, capsys.readouterr().out)
