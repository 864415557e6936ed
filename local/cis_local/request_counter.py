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
