"""Consent per channel and purpose: what a customer agreed to receive, and since when."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, computed_field, model_validator

from cis.domain.contact import Strict
from cis.domain.model import Model
from cis.domain.moments import Moment, OccurredAt
from cis.errors import CisError, Conflict, FieldProblem


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


REFUSED = frozenset({ConsentStatus.WITHDRAWN, ConsentStatus.DENIED})


def needs_guard(body: ConsentIn, purpose: str) -> bool:
    """Whether a grant holds only if the customer has not refused: one without evidence, or one on
    legitimate interest for marketing (grant_refusal says why)."""
    legitimate = purpose == Purpose.MARKETING and body.legal_basis == LegalBasis.LEGITIMATE_INTEREST
    return body.status == ConsentStatus.GRANTED and (not body.evidence or legitimate)


def grant_refusal(current: ConsentState | None, body: ConsentIn, on_behalf_only: bool) -> CisError | None:
    """Why staff may not record this grant (the consent belongs to the customer); None when they may.

    After the customer withdrew or refused, only a new capture of their own consent, with evidence
    (a signed form, a recording), grants again, and never legitimate interest for marketing (an
    objection to direct marketing is final, GDPR art. 21(3)). Staff who only act on the customer's
    behalf (marketing) record no grant at all without evidence."""
    if body.status != ConsentStatus.GRANTED:
        return None
    refused = current is not None and current.status in REFUSED
    if refused and current.purpose == Purpose.MARKETING and body.legal_basis == LegalBasis.LEGITIMATE_INTEREST:
        return Conflict(
            "the customer objected to marketing: legitimate interest cannot override an objection (GDPR art. 21(3)); "
            "only the customer's own consent grants it again",
            [FieldProblem("legal_basis", "legitimate_interest after the customer's objection")],
            code="objection_recorded",
        )
    if (refused or on_behalf_only) and not body.evidence:
        why = f"the customer {current.status} it" if refused else "your role records grants only with evidence"
        return Conflict(
            f"a grant needs the customer's own consent here ({why}): record it with evidence "
            "(the signed form, the recording, the checkbox text version)",
            [FieldProblem("evidence", "required: the customer's own consent, captured")],
            code="customer_consent_required",
        )
    return None
