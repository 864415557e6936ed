"""Count the requests a boto3 client makes, by operation, with botocore's event hooks."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager


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
