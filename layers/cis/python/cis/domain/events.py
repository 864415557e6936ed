"""A domain event, in a leaf module: the bus, the audit trail and the jobs that publish events read
it without the customer and subscription models cis.domain.changes interprets writes with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DomainEvent:
    kind: str  # customer.created, customer.updated, customer.archived, customer.restored, customer.erased, ...
    event_id: str
    customer_id: str
    occurred_at: str
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)  # ids, names and statuses; no contact data
    audit: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> {"before", "after"}

    @property
    def source(self) -> str:
        """Where the change came from: staff through the API, an import, or the named system (a job)."""
        kind, _, name = self.actor.partition(":")
        return {"staff": "api", "system": name}.get(kind, kind)
