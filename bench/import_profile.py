"""Where ImportService.load and the stream processor spend CPU on imported rows: in-process on moto
(with the local runtime's moto fixes), cProfile of each, and the share inside moto apart.

    PYTHONPATH=layers/cis/python:local:infra:bench:. .venv/bin/python bench/import_profile.py 1000 500
"""

import cProfile
import io
import os
import pstats
import sys
import time

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_NAME": "cis-test",
        "CIS_DEFAULT_PHONE_REGION": "US",
        "CIS_DEV_TOKEN_SECRET": "tests-only-secret-0123456789abcdef0123456789",
        "POWERTOOLS_SERVICE_NAME": "cis",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
)
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(name, None)

import boto3  # noqa: E402
from cis.domain import imports as import_domain  # noqa: E402
from cis.domain.changes import ItemChange  # noqa: E402
from cis.domain.imports import ImportRequest  # noqa: E402
from cis.repository.factory import (  # noqa: E402
    audit_repository,
    churn_repository,
    customer_repository,
    duplicate_repository,
    import_repository,
)
from cis.repository.items import from_attributes  # noqa: E402
from cis.service.changes import ChangeFeed  # noqa: E402
from cis.service.customers import CustomerService, utcnow  # noqa: E402
from cis.service.duplicates import DuplicateFinder  # noqa: E402
from cis.service.imports import ImportService  # noqa: E402
from cis_local import moto_fixes  # noqa: E402
from cis_local.synthetic import import_file  # noqa: E402
from moto import mock_aws  # noqa: E402

from tests.dynamodb_local import fresh_table  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
CHUNK = int(sys.argv[2]) if len(sys.argv) > 2 else 500
OUT = sys.argv[3] if len(sys.argv) > 3 else "/tmp/import-profile"
import_domain.MAX_ROWS = max(import_domain.MAX_ROWS, CHUNK)


class Bus:
    def __init__(self):
        self.events = []

    def publish(self, events):
        self.events += events


def chunks(text: str, size: int):
    lines = text.splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    for start in range(0, len(body), size):
        yield start + 2, header + "".join(body[start : start + size])


def moto_seconds(stats: pstats.Stats) -> float:
    """Cumulative time inside moto's request handling (the stubber's __call__)."""
    total = 0.0
    for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items():
        if "botocore_stubber" in filename and function == "__call__":
            total += cumulative
    return total


def show(profile: cProfile.Profile, title: str, path: str) -> None:
    profile.dump_stats(path + ".pstats")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    total = stats.total_tt
    print(f"== {title}: total {total:.2f}s, in moto {moto_seconds(stats):.2f}s")
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    with open(path + ".txt", "w") as file:
        file.write(out.getvalue())


def main() -> None:
    generated = import_file(rows=ROWS)
    with mock_aws(), moto_fixes.installed():
        client = boto3.client("dynamodb")
        fresh_table(client, "cis-test")
        repository = customer_repository(client)
        blocks = duplicate_repository(client)
        customers = CustomerService(repository, DuplicateFinder(blocks, utcnow))
        importer = ImportService(import_repository(client), customers, DuplicateFinder(blocks, utcnow), blocks, utcnow)
        counts = {}
        profile = cProfile.Profile()
        start = time.process_time()
        profile.enable()
        for first, text in chunks(generated.text, CHUNK):
            report = importer.load(ImportRequest(csv=text, first_row=first, source_id="bench-source-1"), "import:x")
            for result in report.results:
                counts[result.outcome] = counts.get(result.outcome, 0) + 1
        profile.disable()
        seconds = time.process_time() - start
        print(f"import: {ROWS} rows in {seconds:.2f}s = {ROWS / seconds:.1f} rows/s; {counts}")
        show(profile, "import", OUT + "-import")

        # The stream: every customer item as a new image, in batches of 100 (the local pump's size).
        pages = client.get_paginator("scan").paginate(TableName="cis-test")
        images = [from_attributes(item) for page in pages for item in page["Items"]]
        profiles = sorted((i for i in images if i.get("entity") == "customer"), key=lambda i: i["id"])
        changes = [ItemChange(f"change-{n}", None, image) for n, image in enumerate(profiles)]
        feed = ChangeFeed(
            audit_repository(client), Bus(), repository, DuplicateFinder(blocks, utcnow), churn_repository(client)
        )
        profile = cProfile.Profile()
        start = time.process_time()
        profile.enable()
        for at in range(0, len(changes), 100):
            batch = changes[at : at + 100]
            failed = feed.write(batch)
            assert failed is None, failed
            for change in batch:
                feed.finish(change)
        profile.disable()
        seconds = time.process_time() - start
        print(f"stream: {len(changes)} changes in {seconds:.2f}s = {len(changes) / seconds:.1f} /s")
        show(profile, "stream", OUT + "-stream")
        pairs = sum(1 for i in images if i.get("entity") == "duplicate_pair")
        pages = client.get_paginator("scan").paginate(TableName="cis-test")
        after = [from_attributes(item) for page in pages for item in page["Items"]]
        kinds = {}
        for item in after:
            kinds[item.get("entity")] = kinds.get(item.get("entity"), 0) + 1
        print("items:", kinds, "pairs before stream", pairs)


main()
