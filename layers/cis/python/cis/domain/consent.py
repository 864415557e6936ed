"""Consent per channel and purpose: what a customer agreed to receive, and since when."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, computed_field, model_validator

from cis.domain.contact import Strict
from cis.domain.model import Model
from cis.domain.moments import Moment, OccurredAt


class Channel(StrEnum):
    """A way to reach a customer that consent is recorded for."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    PHONE = "phone"
    POST = "post"


class Purpose(StrEnum):
    """What a message is for."""

    MARKETING = "marketing"
    REMINDERS = "reminders"
    SERVICE = "service"


class ConsentStatus(StrEnum):
    """The customer's decision."""

    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class LegalBasis(StrEnum):
    """What a decision rests on (GDPR art. 6)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGITIMATE_INTEREST = "legitimate_interest"
    LEGAL_OBLIGATION = "legal_obligation"


CHANNELS: tuple[str, ...] = tuple(Channel)
PURPOSES: tuple[str, ...] = tuple(Purpose)
# Service messages (an order shipped, a password reset) rest on the contract: sent unless refused.
# Marketing and reminders need an explicit grant: no record means no.
NEEDS_GRANT = frozenset({"marketing", "reminders"})


class ConsentIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "granted", "source": "web-signup", "evidence": "signup form v3"}]}
    )

    status: ConsentStatus
    legal_basis: LegalBasis = LegalBasis.CONSENT
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="Where it was captured: web-signup, store-paper-form, call-centre, ..."
    )
    captured_at: OccurredAt = None
    effective_from: Moment | None = None
    effective_to: Moment | None = None
    evidence: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="A reference to the proof: form id, recording id, checkbox text version"
    )

    @model_validator(mode="after")
    def _window(self) -> ConsentIn:
        if self.effective_from and self.effective_to and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class ConsentState(Model):
    channel: Channel
    purpose: Purpose
    status: ConsentStatus
    legal_basis: LegalBasis
    source: str
    captured_at: datetime
    captured_by: str
    effective_from: datetime | None = None
    effective_to: datetime | None = None
    evidence: str | None = None

    @computed_field
    @property
    def allowed_now(self) -> bool:
        return is_allowed(self, self.purpose, datetime.now(UTC))


def consent_key(channel: str, purpose: str) -> str:
    return f"{channel}:{purpose}"


def is_allowed(state: ConsentState | None, purpose: str, at: datetime) -> bool:
    """May we contact for `purpose` at `at`, given the current state for that channel and purpose?"""
    if state is None:
        return purpose not in NEEDS_GRANT
    if state.effective_from and at < state.effective_from:
        return purpose not in NEEDS_GRANT
    if state.effective_to and at >= state.effective_to:
        return purpose not in NEEDS_GRANT
    return state.status == "granted"  # denied or withdrawn: refused, whatever the purpose


class ConsentHistoryPage(Model):
    items: list[ConsentState]
    next_cursor: str | None = None
