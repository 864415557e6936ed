"""Count the requests a boto3 client makes, by operation, with botocore's event hooks."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path


class RequestCounter:
    def __init__(self, client):
        self.calls: Counter[str] = Counter()
        # before-call fires once per API call (not per retry): what the budget counts.
        client.meta.events.register(f"before-call.{client.meta.service_model.endpoint_prefix}", self._count)

    def _count(self, model, **_) -> None:
        self.calls[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @contextmanager
    def measure(self):
        """Yields a Counter holding only the calls made inside the block."""
        before = self.calls.copy()
        during: Counter[str] = Counter()
        yield during
        during.update(self.calls - before)


class ItemsRead:
    """What DynamoDB bills reads by: the items each Query and Scan evaluated (ScannedCount), and how many
    requests it took, from the answers a client received."""

    def __init__(self, client):
        self.items = self.requests = 0
        self.fetched = 0  # items returned by GetItem and BatchGetItem (read by key, not by query)
        for operation in ("Query", "Scan"):
            client.meta.events.register(f"after-call.dynamodb.{operation}", self._count)
        client.meta.events.register("after-call.dynamodb.GetItem", self._count_get)
        client.meta.events.register("after-call.dynamodb.BatchGetItem", self._count_batch)

    def _count(self, parsed, **_) -> None:
        self.requests += 1
        self.items += parsed.get("ScannedCount", 0)

    def _count_get(self, parsed, **_) -> None:
        self.fetched += "Item" in parsed

    def _count_batch(self, parsed, **_) -> None:
        self.fetched += sum(len(items) for items in parsed.get("Responses", {}).values())


# When the table lives outside moto (CIS_DYNAMODB_ENDPOINT: DynamoDB Local, AWS), moto's server cannot
# count the DynamoDB requests (moto_server.REQUESTS_PATH): each of the runtime's processes (the runtime's
# own, every function's containers) counts those it sends instead, into a file of its own in this folder,
# which that path adds up. Counted as moto counts them: every HTTP request whose target is DynamoDB's API
# (a retry is another request; the streams API is another service and is not counted).
COUNTS_FOLDER = "CIS_DYNAMODB_COUNTS"
_DYNAMODB_TARGET = b"DynamoDB_20120810."


def count_sent_dynamodb_requests(session=None) -> None:
    """From now on, every client this process makes from boto3's default session (or `session`): every
    client of the handlers and of the runtime, writes its DynamoDB requests to the counts folder, if one is set."""
    if not (folder := os.environ.get(COUNTS_FOLDER)):
        return
    import boto3

    path, counts, lock = Path(folder) / f"{os.getpid()}.json", Counter(), threading.Lock()

    def count(request, **_) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.encode() if isinstance(target, str) else target
        if not target.startswith(_DYNAMODB_TARGET):
            return
        with lock:  # the runtime's process sends from several threads
            counts[target.removeprefix(_DYNAMODB_TARGET).decode()] += 1
            written = path.with_suffix(".tmp")
            written.write_text(json.dumps(counts))
            os.replace(written, path)  # whole or not at all, for the reader

    if session is None and boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    # before-send: once per HTTP request, retries included (clients made before this are not counted).
    (session or boto3.DEFAULT_SESSION).events.register("before-send.dynamodb", count)


def sent_dynamodb_requests(folder: str) -> Counter[str]:
    """Every process's count so far, by operation."""
    total: Counter[str] = Counter()
    for path in Path(folder).glob("*.json"):
        total.update(json.loads(path.read_text()))
    return total
