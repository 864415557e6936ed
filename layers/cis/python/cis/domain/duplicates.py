"""Likely duplicates as the API shows them: who, how likely, and the evidence."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from cis.domain.ids import CUSTOMER_ID_PATTERN
from cis.domain.matching_weights import WEIGHTS
from cis.domain.model import Model
from cis.errors import FieldProblem, InvalidRequest

if TYPE_CHECKING:  # every API function loads these models (a 409's body); only some compare records
    from cis.domain.matching import Match


# What a create does on likely duplicates: refuse (409), create remembering the pairs as distinct
# (never listed), or create and list the pairs for review (decided later: merge or dismiss).
OnDuplicate = Literal["reject", "allow", "review"]
PAIR_SEPARATOR = "~"  # in no customer id (ULIDs, Crockford base32)


_ULID = CUSTOMER_ID_PATTERN.strip("^$")
PAIR_ID_PATTERN = f"^{_ULID}{PAIR_SEPARATOR}{_ULID}$"


def pair_id(customer_id: str, other_id: str) -> str:
    """A pair's stable id: both customer ids, sorted, joined by '~' (either order names the same pair)."""
    return PAIR_SEPARATOR.join(sorted((customer_id, other_id)))


def customers_of(pair: str) -> tuple[str, str]:
    """The two customer ids a pair id names (the path pattern has checked its shape)."""
    first, second = pair.split(PAIR_SEPARATOR)
    return first, second


def on_duplicate_of(chosen: OnDuplicate | None, allow_duplicate: bool) -> OnDuplicate:
    """What a create asked for: allow_duplicate=true is the older spelling of on_duplicate=allow."""
    if allow_duplicate and chosen not in (None, "allow"):
        raise InvalidRequest(
            f"allow_duplicate=true means on_duplicate=allow, not {chosen}: send one of them",
            [FieldProblem("allow_duplicate", f"contradicts on_duplicate={chosen}")],
        )
    return chosen or ("allow" if allow_duplicate else "reject")


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
    pair_id: str = Field(description="The pair's stable id: <id>~<other id>, the two ids sorted")
    customer_ids: list[str] = Field(min_length=2, max_length=2)
    score: float = Field(ge=0, le=1)
    reasons: list[MatchReason]
    found_at: datetime


class DismissedPair(Model):
    pair_id: str
    customer_ids: list[str] = Field(min_length=2, max_length=2)
    versions: list[int] = Field(description="Each customer's version after it (the ETag to send back), in order")


class DuplicatePage(Model):
    items: list[DuplicatePair]
    next_cursor: str | None = None
