"""Items read per renewal-reminders run against the reminders due, on tables of 20,000 and 200,000
customers: the job's cost must follow the day's work, not the table.

    .venv/bin/python bench/jobs.py                          # 20,000 and 200,000 customers (~5 min)
    .venv/bin/python bench/jobs.py --sizes 2000 20000       # quicker

Each customer has one active subscription renewing on a day spread over the next year, with the
reminders still to come (30, 7 and 1 days ahead), built by the repositories' own code and restored
into moto in-process. The job runs for the busiest day and for a quiet one; the items read are the
ScannedCount of every Query it made (what DynamoDB bills reads by), counted with botocore hooks.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

import environment  # noqa: F401  (first: the settings every cis module reads at import)

ROOT = Path(__file__).resolve().parents[1]

TODAY = date(2026, 11, 23)
SIZES = (20_000, 200_000)
CHUNK = 2_000  # customers per worker task
PAGE = 100  # the job's page size (its default)


class _Bus:
    """The job's events are counted, not delivered: this measures the job's reads."""

    def __init__(self):
        self.published = 0

    def publish(self, events) -> None:
        self.published += len(events)


def _chunk(first: int) -> tuple[list[dict], dict[str, int]]:
    from cis_local.synthetic import subscription_base

    base = subscription_base(CHUNK, TODAY, seed=first, first=first)
    return base.items, {day: len(due) for day, due in base.due.items()}


def reads_for(customers: int) -> dict:
    import boto3
    from cis.repository.reminders import DueReminders
    from cis.service.reminders import RenewalReminderJob
    from cis_local import moto_fixes
    from cis_local.request_counter import ItemsRead
    from cis_local.table import ensure_table, restore_in_process
    from moto import mock_aws

    with mock_aws(), moto_fixes.installed():
        client = boto3.client("dynamodb")
        ensure_table(client, "cis-bench")
        due: dict[str, int] = {}
        items = 0
        # Workers build the customers (the repositories' code is the slow part); this process stores them.
        with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
            for built, due_by_day in pool.imap_unordered(_chunk, range(0, customers, CHUNK)):
                items += restore_in_process(client, "cis-bench", built)
                for day, count in due_by_day.items():
                    due[day] = due.get(day, 0) + count
        figures = {"customers": customers, "table_items": items}
        busiest = max(due, key=due.get)
        quiet = min((day for day in due if due[day] > 0), key=due.get)
        for label, day in (("busiest day", busiest), ("quietest day", quiet)):
            reads, bus = ItemsRead(client), _Bus()
            run = RenewalReminderJob(DueReminders(client, "cis-bench"), bus, page_size=PAGE).run(
                date.fromisoformat(day), None, lambda: True
            )
            assert run.cursor is None and run.emitted == bus.published == due[day], (label, run, due[day])
            figures[label] = {
                "day": day,
                "due": due[day],
                "items_read": reads.items,
                "queries": reads.requests,
                "items_read_per_due": round(reads.items / due[day], 3),
            }
    return figures


def measure(sizes=SIZES) -> dict:
    tables = []
    for customers in sizes:
        started = time.monotonic()
        figures = reads_for(customers)
        figures["seconds_to_build"] = round(time.monotonic() - started)
        tables.append(figures)
    first, last = tables[0], tables[-1]
    return {
        "page_size": PAGE,
        "tables": tables,
        "table_growth": round(last["table_items"] / first["table_items"], 1),
    }


def report(results: dict) -> None:
    print(
        "Renewal-reminders job: items read against reminders due (moto, ScannedCount of every Query, "
        f"pages of {results['page_size']})"
    )
    print(f"  {'':<24}{'due':>8}{'items read':>12}{'per due':>9}{'queries':>9}")
    for figures in results["tables"]:
        print(
            f"  {figures['customers']:,} customers, {figures['table_items']:,} table items "
            f"(built in {figures['seconds_to_build']} s)"
        )
        for label in ("busiest day", "quietest day"):
            run = figures[label]
            print(
                f"    {label + ' ' + run['day']:<22}{run['due']:>8,}{run['items_read']:>12,}"
                f"{run['items_read_per_due']:>9.3f}{run['queries']:>9}"
            )
    print(f"  the table grew by a factor of {results['table_growth']} from the first size to the last")


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
