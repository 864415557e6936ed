"""Consent use cases: record a change, read the current state and the history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ulid import ULID

from cis.domain.consent import ConsentIn, ConsentState
from cis.domain.moments import timestamp, utcnow
from cis.errors import concurrent_update
from cis.repository.consents import ConsentRepository
from cis.repository.customers import Page
from cis.repository.retries import jittered_pause, retry_on_conflict


class ConsentService:
    def __init__(
        self,
        repository: ConsentRepository,
        clock: Callable[[], datetime] = utcnow,
        pause: Callable[[int], None] = jittered_pause,
    ):
        self.repository, self.clock, self.pause = repository, clock, pause

    def record(
        self, customer_id: str, channel: str, purpose: str, body: ConsentIn, actor: str
    ) -> tuple[ConsentState, bool]:
        """The recorded state, and whether it is now the current one (False: a later capture is)."""
        now = self.clock()
        captured = body.captured_at or now
        state = ConsentState(
            channel=channel,
            purpose=purpose,
            captured_by=actor,
            **body.model_dump(exclude={"captured_at"}),
            captured_at=captured,
        )
        stored = state.model_dump(mode="json", exclude_none=True, exclude={"allowed_now"}) | {
            "captured_at": timestamp(captured)
        }
        entry = {
            "id": str(ULID.from_datetime(captured)),
            "customer_id": customer_id,
            "type": "consent",
            "occurred_at": timestamp(captured),
            "recorded_at": timestamp(now),
            "recorded_by": actor,
        } | {name: stored[name] for name in ("channel", "purpose", "status", "legal_basis", "source")}
        current = retry_on_conflict(
            lambda: self.repository.record(customer_id, stored, entry, str(ULID())),
            self.pause,
            lambda: concurrent_update(f"customer {customer_id}"),
        )
        return state, current

    def history(self, customer_id: str, channel: str, purpose: str, limit: int, cursor: str | None) -> Page:
        return self.repository.history(customer_id, channel, purpose, limit, cursor)
