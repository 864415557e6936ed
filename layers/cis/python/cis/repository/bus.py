"""Domain events onto the project's EventBridge bus."""

from __future__ import annotations

import json
from typing import Any

from cis.domain.changes import DomainEvent

SOURCE = "cis"
JOBS_SOURCE = "cis.jobs"  # continuations of scheduled jobs: not domain events, so not on "cis"
MAX_ENTRIES = 10  # PutEvents' limit per request


class PublishFailed(Exception):
    def __init__(self, event_ids: list[str]):
        super().__init__(f"{len(event_ids)} events were not accepted by the bus")
        self.event_ids = event_ids


class EventBus:
    def __init__(self, client: Any, bus_name: str):
        self.client = client
        self.bus = bus_name

    def publish(self, events: list[DomainEvent]) -> None:
        """Send every event; raise PublishFailed naming those the bus did not take (partial failure)."""
        failed: list[str] = []
        for start in range(0, len(events), MAX_ENTRIES):
            chunk = events[start : start + MAX_ENTRIES]
            response = self.client.put_events(Entries=[self._entry(event) for event in chunk])
            if response.get("FailedEntryCount"):
                results = zip(chunk, response["Entries"], strict=True)  # one result per entry, in order
                failed += [event.event_id for event, result in results if "ErrorCode" in result]
        if failed:
            raise PublishFailed(failed)

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
        response = self.client.put_events(Entries=[entry | {"Detail": json.dumps({"job": job} | detail)}])
        if response.get("FailedEntryCount"):
            raise PublishFailed([f"{job}:continue"])
