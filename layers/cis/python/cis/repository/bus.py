"""Domain events onto the project's EventBridge bus."""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.retries.standard import ExponentialBackoff, RetryContext

from cis.domain.events import DomainEvent

SOURCE = "cis"
JOBS_SOURCE = "cis.jobs"  # continuations of scheduled jobs: not domain events, so not on "cis"
MAX_ENTRIES = 10  # PutEvents' limit per request
ATTEMPTS = 3  # of an entry the bus refuses, as many as botocore makes of a throttled call
_BACKOFF = ExponentialBackoff()  # botocore's jittered exponential delays (50 ms, then 100 ms at most)


class PublishFailed(Exception):
    def __init__(self, event_ids: list[str]):
        super().__init__(f"{len(event_ids)} events were not accepted by the bus")
        self.event_ids = event_ids


class EventBus:
    def __init__(self, client: Any, bus_name: str):
        self.client = client
        self.bus = bus_name

    def publish(self, events: list[DomainEvent]) -> None:
        """Send every event; raise PublishFailed naming those the bus never took (see _send)."""
        self._send([(event.event_id, self._entry(event)) for event in events])

    def _entry(self, event: DomainEvent) -> dict:
        detail = {
            "event_id": event.event_id,  # the same on a redelivery: consumers de-duplicate on it
            "customer_id": event.customer_id,
            "occurred_at": event.occurred_at,
            "actor": event.actor,
        } | event.detail
        return {"Source": SOURCE, "DetailType": event.kind, "Detail": json.dumps(detail), "EventBusName": self.bus}

    def continue_job(self, job: str, detail: dict) -> None:
        """Ask for the next invocation of a job that ran out of time (a rule sends it back to the job)."""
        entry = {"Source": JOBS_SOURCE, "DetailType": "job.continued", "EventBusName": self.bus}
        self._send([(f"{job}:continue", entry | {"Detail": json.dumps({"job": job} | detail)})])

    def _send(self, entries: list[tuple[str, dict]]) -> None:
        """PutEvents can take some entries and refuse others (FailedEntryCount), which botocore does
        not retry: send again only the refused ones, after botocore's own backoff, a few times."""
        pending = entries
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(_BACKOFF.delay_amount(RetryContext(attempt_number=attempt)))
            pending = [
                refused
                for start in range(0, len(pending), MAX_ENTRIES)
                for refused in self._put(pending[start : start + MAX_ENTRIES])
            ]
            if not pending:
                return
        raise PublishFailed([key for key, _ in pending])

    def _put(self, chunk: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
        """One PutEvents request; the entries it refused (one result per entry, in order)."""
        response = self.client.put_events(Entries=[entry for _, entry in chunk])
        if not response.get("FailedEntryCount"):
            return []
        return [sent for sent, result in zip(chunk, response["Entries"], strict=True) if "ErrorCode" in result]
