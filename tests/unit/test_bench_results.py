"""What `make bench` prints is what bench/results.json holds, figure for figure.

Each section's report() is run on its committed figures (nothing is measured) and its output held
against the dict:
- figures: the numbers printed and the dict's numeric leaves are the same multiset (a bijection:
  each leaf printed once, nothing printed that the dict does not hold). A number counts as printed
  when it stands alone: 4,000 and 92.8% (0.928) do; p50, boto3, 200-row and 2027-05-02 are words.
  Numbers inside the dict's strings (keys, values, a budget's rule) are labels, not figures, and so
  are those inside a module's LABELS (strings it prints that hold a number but are no figure);
- labels: every string value of the dict is printed, and every key written as words (with a space
  or punctuation: "busiest day", "360 view") rather than as a field name (items_read).
Reports print in a subprocess: the bench modules set the environment the benchmarks run with.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
RESULTS = json.loads((BENCH / "results.json").read_text())

_PRINT = """
import contextlib, importlib, io, json, sys
sys.path.insert(0, {bench!r})
import run
results = json.loads(run.RESULTS.read_text())
printed = {{}}
for name in results:
    module = importlib.import_module(name)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        module.report(results[name])
    printed[name] = {{"text": out.getvalue(), "labels": list(getattr(module, "LABELS", ()))}}
print(json.dumps({{"sections": run.SECTIONS, "printed": printed}}))
"""
_WORD = re.compile(r"[\w.,%+-]+")
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*")


@pytest.fixture(scope="module")
def printed() -> dict:
    code = _PRINT.format(bench=str(BENCH))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def _value(text: str) -> Decimal:
    value = Decimal(text.rstrip("%").replace(",", ""))
    return (value / 100 if text.endswith("%") else value).normalize()


def numbers_in(text: str) -> list[Decimal]:
    """The numbers standing alone in a text (trailing punctuation aside)."""
    found = []
    for word in _WORD.findall(text):
        word = word.rstrip(".,")
        if _NUMBER.fullmatch(word):
            found.append(_value(word))
    return found


def leaves(value, path: str = "") -> tuple[list[tuple[str, Decimal]], list[str], list[str]]:
    """(numeric leaves with their paths, string values, keys) of a JSON value."""
    if isinstance(value, dict):
        numbers, strings, keys = [], [], list(value)
        for key, item in value.items():
            n, s, k = leaves(item, f"{path}.{key}" if path else key)
            numbers, strings, keys = numbers + n, strings + s, keys + k
        return numbers, strings, keys
    if isinstance(value, list):
        numbers, strings, keys = [], [], []
        for index, item in enumerate(value):
            n, s, k = leaves(item, f"{path}[{index}]")
            numbers, strings, keys = numbers + n, strings + s, keys + k
        return numbers, strings, keys
    if isinstance(value, bool) or value is None:
        return [], [], []
    if isinstance(value, int | float):
        return [(path, Decimal(repr(value)).normalize())], [], []
    return [], [str(value)], []


def without_labels(text: str, labels: list[str]) -> str:
    """The text with every label that holds a number blanked out (longest first), where it stands alone."""
    for label in sorted({label for label in labels if re.search(r"\d", label)}, key=len, reverse=True):
        before = r"(?<!\w)" if label[0].isalnum() else ""
        after = r"(?!\w)" if label[-1].isalnum() else ""
        text = re.sub(before + re.escape(label) + after, " ", text)
    return text


def test_results_hold_every_section_make_bench_runs_and_no_other(printed):
    assert list(RESULTS) == printed["sections"]


@pytest.mark.parametrize("section", list(RESULTS))
def test_a_report_prints_exactly_the_figures_of_its_section(printed, section):
    figures, text = RESULTS[section], printed["printed"][section]["text"]
    numbers, strings, keys = leaves(figures)
    labels = strings + keys + printed["printed"][section]["labels"]
    shown = Counter(numbers_in(without_labels(text, labels)))
    held = Counter(value for _, value in numbers)
    missing = [f"{path} = {value:f}" for path, value in numbers if shown[value] < held[value]]
    extra = sorted(f"{value:f}" for value in (shown - held).elements())
    assert not missing and not extra, (
        f"{section}: figures the report does not print (or prints fewer times than the dict holds them): {missing}; "
        f"numbers it prints that the dict does not hold: {extra}\n{text}"
    )


@pytest.mark.parametrize("section", list(RESULTS))
def test_a_report_prints_the_labels_of_its_section(printed, section):
    text = printed["printed"][section]["text"]
    _, strings, keys = leaves(RESULTS[section])
    worded = [key for key in keys if not _FIELD_NAME.fullmatch(key)]
    assert not [label for label in strings + worded if label not in text], text


def test_numbers_are_read_as_printed():
    text = "4,000 requests, 92.8% fading; p50 37.9 ms, boto3 x 1.000 (200-row chunk on 2027-05-02): 5, -3."
    assert numbers_in(text) == [4000, Decimal("0.928"), Decimal("37.9"), 1, 5, -3]
    assert numbers_in(without_labels("import: 200-row chunk 894, 409 retried 0", ["409 retried"])) == [894, 0]
