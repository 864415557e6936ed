"""Items read per churn-check run against the customers watched that day, on tables of 20,000 and
200,000 customers: the job's cost must follow the customers whose state changed, not the table. And
how well the score ranks: the share of the riskiest tenth that are customers fading away.

    .venv/bin/python bench/churn.py                          # 20,000 and 200,000 customers (~20 min)
    .venv/bin/python bench/churn.py --sizes 2000 20000       # quicker

Each customer has a year of generated activity (regular, fading, churned or seasonal:
cis_local.histories), folded into the profile the timeline's writes would have left, with the
assessment and the idle watch where a job that had run every day would have left them; one customer
in 200 has a rescore mark for today (a churn signal changed yesterday). Workers build them; this
process restores them into moto in-process. The job runs for today, then again: the second run finds
nothing, as its watches have moved. Items read: the ScannedCount of every Query (the watches), plus
the profiles BatchGetItem and GetItem returned, counted with botocore hooks.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import environment  # noqa: F401  (first: the settings every cis module reads at import)

ROOT = Path(__file__).resolve().parents[1]

TODAY = date(2026, 11, 23)
SIZES = (20_000, 200_000)
CHUNK = 2_000  # customers per worker task
PAGE = 100  # the job's page size (its default)
RESCORE_EVERY = 200  # customer numbers divisible by this have a rescore mark for today (0.5%)
KINDS = ("regular", "fading", "churned", "seasonal")
# Deterministic ULIDs: the time part is the day the generated customers were created (a year ago).
_CREATED_MS = int(datetime.combine(TODAY - timedelta(days=366), datetime.min.time(), tzinfo=UTC).timestamp() * 1000)


def customer_id(number: int) -> str:
    from ulid import ULID

    return str(ULID.from_int((_CREATED_MS << 80) | number))


class _Bus:
    """The job's events are counted, not delivered: this measures the job's reads."""

    def __init__(self):
        self.published = 0

    def publish(self, events) -> None:
        self.published += len(events)


def _chunk(span: tuple[int, int]) -> tuple[list[dict], dict]:
    """Customers `first` to `first + count`: their items, what is due today, and their scores today."""
    from cis.domain.churn import ChurnRules, assess, signals_of
    from cis.domain.interactions import Engagement
    from cis.repository.items import from_attributes
    from cis_local.histories import customer_base, steady_state_items

    first, count = span
    rules, due = ChurnRules(), f"WATCH#{TODAY.isoformat()}#"
    items: list[dict] = []
    facts = {"kinds": Counter(), "idle_due": 0, "rescore": 0, "watched": 0, "scores": []}
    for person in customer_base(count, TODAY, seed=first, first=first):
        built = steady_state_items(
            person, customer_id(person.number), TODAY, rules, rescore=person.number % RESCORE_EVERY == 0
        )
        today = [item for item in built if item.get("GSI1PK", {}).get("S", "").startswith(due)]
        today = [item["SK"]["S"] for item in today]
        facts["idle_due"] += today.count("WATCH#IDLE")
        facts["rescore"] += today.count("WATCH#RESCORE")
        facts["watched"] += bool(today)
        facts["kinds"][person.kind] += 1
        # fold(person.events) as the profile keeps it: the same engagement, without folding twice (60% of the time).
        engagement = Engagement.model_validate(from_attributes(built[0])["engagement"])
        facts["scores"].append((assess(signals_of(engagement, {}, TODAY), rules).score, person.kind, person.number))
        items += built
    return items, facts


def ranking(scores: list[tuple[int, str, int]]) -> dict:
    """The riskiest tenth by score (ties by number): how much of it is fading, and how many of the fading it finds."""
    ranked = sorted(scores, key=lambda entry: (-entry[0], entry[2]))
    top = ranked[: len(ranked) // 10]
    in_top = Counter(kind for _, kind, _ in top)
    fading = sum(kind == "fading" for _, kind, _ in ranked)
    cutoff = top[-1][0] if top else None
    return {
        "customers": len(ranked),
        "top_decile": len(top),
        "top_decile_min_score": cutoff,
        # Ties at the cutoff score are split by customer number: how many there are, and how many made it.
        "at_cutoff_score": sum(score == cutoff for score, _, _ in ranked),
        "at_cutoff_score_in_top_decile": sum(score == cutoff for score, _, _ in top),
        "fading_share_of_top_decile": round(in_top["fading"] / len(top), 3),
        "fading_found_in_top_decile": round(in_top["fading"] / fading, 3) if fading else None,
        "fading_share_of_base": round(fading / len(ranked), 3),
        "top_decile_by_kind": {kind: round(in_top[kind] / len(top), 3) for kind in KINDS},
    }


def reads_for(customers: int) -> dict:
    import boto3
    from cis.domain.churn import ChurnRules
    from cis.repository.churn import ChurnRepository
    from cis.service.churn import ChurnCheckJob
    from cis_local import moto_fixes
    from cis_local.request_counter import ItemsRead, RequestCounter
    from cis_local.table import ensure_table, restore_in_process
    from moto import mock_aws

    started = time.monotonic()
    with mock_aws(), moto_fixes.installed():
        client = boto3.client("dynamodb")
        ensure_table(client, "cis-bench")
        items, kinds, scores = 0, Counter(), []
        idle_due = rescore = watched = 0
        spans = [(first, min(CHUNK, customers - first)) for first in range(0, customers, CHUNK)]
        # Workers build the customers (folding histories is the slow part); this process stores them.
        with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
            for built, facts in pool.imap_unordered(_chunk, spans):
                items += restore_in_process(client, "cis-bench", built)
                kinds.update(facts["kinds"])
                idle_due, rescore = idle_due + facts["idle_due"], rescore + facts["rescore"]
                watched += facts["watched"]
                scores += facts["scores"]
        built_in = time.monotonic() - started
        figures = {
            "customers": customers,
            "table_items": items,
            "kinds": {kind: kinds[kind] for kind in KINDS},
            "watch_items_due": idle_due + rescore,
            "idle_due": idle_due,
            "rescore_marks": rescore,
            "watched_customers": watched,
        }
        rules, zone = ChurnRules(), ZoneInfo("UTC")
        for label in ("first run", "re-run"):
            reads, requests, bus = ItemsRead(client), RequestCounter(client), _Bus()
            ran = time.monotonic()
            with requests.measure() as calls:
                run = ChurnCheckJob(ChurnRepository(client, "cis-bench"), bus, rules, zone, page_size=PAGE).run(
                    TODAY, None, lambda: True
                )
            seconds = time.monotonic() - ran
            assert run.cursor is None, (label, run.to_dict())
            # The watches are all it queries; a page never ends between a customer's two watches, so at most
            # one watch per page is read again at the start of the next.
            assert run.read <= reads.items <= run.read + run.pages, (label, run.read, reads.items)
            assert bus.published == run.emitted, (label, bus.published, run.to_dict())
            if label == "first run":
                assert run.read == idle_due + rescore, (run.to_dict(), idle_due, rescore)
                assert run.customers == watched, (run.to_dict(), watched)  # each watched customer once
                assert reads.fetched == run.customers, (reads.fetched, run.customers)  # one profile each
            else:
                assert run.read == 0 and bus.published == 0, ("watches not moved", run.to_dict())
            writes = sum(calls[name] for name in ("UpdateItem", "PutItem", "DeleteItem"))
            figures[label] = {
                "customers_counted": run.customers,
                "watch_items_read": reads.items,
                "profiles_read": reads.fetched,
                "items_read": reads.items + reads.fetched,
                "items_read_per_watched": round((reads.items + reads.fetched) / watched, 3) if watched else None,
                "queries": reads.requests,
                "batch_gets": calls["BatchGetItem"],
                "gets": calls["GetItem"],
                "writes": writes,
                "assessed": dict(run.assessed),
                "level_changes": run.level_changes,
                "newly_at_risk": run.newly_at_risk,
                "check_ins": run.check_ins,
                "emitted": bus.published,
                "seconds": round(seconds, 1),
            }
    figures["ranking"] = ranking(scores)
    figures["seconds_to_build"] = round(built_in)
    figures["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return figures


def measure(sizes=SIZES) -> dict:
    tables = [reads_for(customers) for customers in sizes]
    return {
        "page_size": PAGE,
        "rescore_every": RESCORE_EVERY,
        "tables": tables,
        "table_growth": round(tables[-1]["table_items"] / tables[0]["table_items"], 1),
    }


RUN_COLUMNS = (  # (heading, key, width, format) of each run's row
    ("counted", "customers_counted", 9, ","),
    ("watches", "watch_items_read", 9, ","),
    ("profiles", "profiles_read", 10, ","),
    ("items read", "items_read", 12, ","),
    ("per watched", "items_read_per_watched", 13, ".3f"),
    ("queries", "queries", 9, ","),
    ("batch gets", "batch_gets", 12, ","),
    ("gets", "gets", 6, ","),
    ("writes", "writes", 8, ","),
    ("changes", "level_changes", 9, ","),
    ("at risk", "newly_at_risk", 9, ","),
    ("check-ins", "check_ins", 11, ","),
    ("emitted", "emitted", 9, ","),
    ("seconds", "seconds", 9, ""),
)


def _cell(value, width: int, form: str) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{form}}"


def _shares(shares: dict) -> str:
    return ", ".join(f"{kind} {share:.1%}" for kind, share in shares.items())


def report(results: dict) -> None:
    print(
        "Churn-check job: items read against customers watched today (moto; Query ScannedCount + profiles got; "
        f"pages of {results['page_size']}; a rescore mark on one customer in {results['rescore_every']})"
    )
    for figures in results["tables"]:
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in figures["kinds"].items())
        print(
            f"  {figures['customers']:,} customers ({kinds}): {figures['table_items']:,} table items, built in "
            f"{figures['seconds_to_build']} s, peak memory {figures['peak_memory_mb']:,} MB"
        )
        print(
            f"    watches due today {figures['watch_items_due']:,} (idle {figures['idle_due']:,}, rescore "
            f"{figures['rescore_marks']:,}) on {figures['watched_customers']:,} watched customers"
        )
        print(f"    {'':<10}" + "".join(f"{heading:>{width}}" for heading, _, width, _ in RUN_COLUMNS))
        for label in ("first run", "re-run"):
            run = figures[label]
            cells = "".join(_cell(run[key], width, form) for _, key, width, form in RUN_COLUMNS)
            print(f"    {label:<10}{cells}")
        assessed = "; ".join(
            f"{label} "
            + (", ".join(f"{level} {count:,}" for level, count in figures[label]["assessed"].items()) or "none")
            for label in ("first run", "re-run")
        )
        print(f"    assessed by level: {assessed}")
        rank = figures["ranking"]
        found = rank["fading_found_in_top_decile"]
        print(
            f"    ranking at today's scores, of {rank['customers']:,}: the riskiest tenth ({rank['top_decile']:,}, "
            f"score >= {rank['top_decile_min_score']}; {rank['at_cutoff_score_in_top_decile']:,} of the "
            f"{rank['at_cutoff_score']:,} at that score, by customer number) is "
            f"{rank['fading_share_of_top_decile']:.1%} fading (base {rank['fading_share_of_base']:.1%}), and holds "
            + ("-" if found is None else f"{found:.1%}")
            + " of the fading"
        )
        print(f"    riskiest tenth by kind: {_shares(rank['top_decile_by_kind'])}")
    print(
        f"  the table grew by a factor of {results['table_growth']} from the first size to the last; a watched "
        "customer costs its watches and its profile whatever the size, and a re-run reads no watch (one Query "
        "per shard finds them moved): the cost follows the customers whose state changed"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    report(measure(args.sizes))
    print(f"  peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
