"""Likely duplicates as the API shows them: who, how likely, and the evidence."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from cis.domain.matching_weights import WEIGHTS
from cis.domain.model import Model

if TYPE_CHECKING:  # every API function loads these models (a 409's body); only some compare records
    from cis.domain.matching import Match


class MatchReason(Model):
    code: str = Field(
        description="A level of one field's comparison (see cis.domain.matching): " + ", ".join(sorted(WEIGHTS))
    )
    weight: float = Field(
        description="Log-odds this evidence adds (negative: evidence against); the score is the logistic of "
        "a prior plus the weights of its reasons"
    )
    detail: str = Field(description="What agreed or differed, as compared (transliterated, normalized)")


class DuplicateCandidate(Model):
    customer_id: str
    score: float = Field(ge=0, le=1, description="Probability-like: 0.8 and above is a likely duplicate")
    reasons: list[MatchReason]

    @classmethod
    def of(cls, customer_id: str, match: Match) -> DuplicateCandidate:
        return cls(
            customer_id=customer_id,
            score=match.score,
            reasons=[MatchReason(code=r.code, weight=r.weight, detail=r.detail) for r in match.reasons],
        )


class DuplicatePair(Model):
    customer_ids: list[str] = Field(min_length=2, max_length=2)
    score: float = Field(ge=0, le=1)
    reasons: list[MatchReason]
    found_at: datetime


class DuplicatePage(Model):
    items: list[DuplicatePair]
    next_cursor: str | None = None
