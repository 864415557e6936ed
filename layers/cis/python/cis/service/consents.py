"""Consent use cases: record a change, read the current state and the history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ulid import ULID

from cis.domain.consent import ConsentIn, ConsentState, grant_refusal, needs_guard
from cis.domain.model import STORED
from cis.domain.moments import timestamp, utcnow
from cis.errors import concurrent_update
from cis.repository.consents import ConsentRepository, CustomerRefused
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
        self, customer_id: str, channel: str, purpose: str, body: ConsentIn, actor: str, on_behalf_only: bool = False
    ) -> tuple[ConsentState, bool]:
        """The state in force after the change, and whether the change made it (False: a later capture
        was current, and stays). The consent is the customer's: a grant that their refusal would stop
        (grant_refusal) is written on condition that no refusal is in force, in the same request."""
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

        if problem := grant_refusal(None, body, on_behalf_only):
            raise problem
        # A grant without evidence, or on legitimate interest, holds only if the customer has not refused.
        guarded = needs_guard(body, purpose)
        try:
            current, in_force = retry_on_conflict(
                lambda: self.repository.record(customer_id, stored, entry, str(ULID()), guarded),
                self.pause,
                lambda: concurrent_update(f"customer {customer_id}"),
            )
        except CustomerRefused as refused:
            refusal = ConsentState.model_validate(refused.in_force, context=STORED)
            raise grant_refusal(refusal, body, on_behalf_only) or concurrent_update(f"customer {customer_id}") from None
        if current or in_force is None:
            return state, current
        return ConsentState.model_validate(in_force, context=STORED), False  # a later capture, in force

    def history(self, customer_id: str, channel: str, purpose: str, limit: int, cursor: str | None) -> Page:
        return self.repository.history(customer_id, channel, purpose, limit, cursor)
