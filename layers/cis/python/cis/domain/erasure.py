"""The right to erasure (GDPR art. 17): what an admin asks, what is kept, what the answer says.

Erasure removes or irreversibly scrubs a person's personal data wherever the table holds it, and
leaves a tombstone (who was erased, when, by whom, on which basis) and suppression items (digests
of their emails, phones and external ids) so that a later create or import does not silently
bring the person back. What each item kind becomes is decided here, on plain values; where the
kinds live is the repository's business (cis.repository.erasure).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from cis.domain.contact import Strict
from cis.domain.model import Model

# Art. 17(1)(a)-(f): the grounds on which a person may have their data erased.
LegalBasis = Literal[
    "consent_withdrawn",  # (b)
    "no_longer_necessary",  # (a)
    "objection",  # (c)
    "unlawful_processing",  # (d)
    "legal_obligation",  # (e)
    "child_information_society",  # (f)
]

# What bookkeeping keeps of an order (amounts, products, dates, its status), nothing about the person.
ORDER_FACTS = frozenset(
    {
        "entity",
        "id",
        "customer_id",
        "type",
        "external_order_id",
        "amount",
        "currency",
        "status",
        "line_items",
        "occurred_at",
        "recorded_at",
        "expires_at",  # kept as long as bookkeeping keeps orders (cis.domain.retention)
    }
)
# The fields of a tombstone: the profile's without a trace of the person.
TOMBSTONE_FIELDS = ("id", "version", "created_at", "created_by")
# What an audit entry's before and after become: the field changed is kept, the value is not.
ERASED_VALUE = "[erased]"


class ErasureRequest(Strict):
    reason: str = Field(
        min_length=1, max_length=500, description="Why, for the record: a ticket number, not the person's words"
    )
    legal_basis: LegalBasis = Field(description="The ground of GDPR art. 17(1) the erasure rests on")


class ErasedItems(Model):
    deleted: int = Field(default=0, description="Items removed: profile data, timeline entries, consents, tags...")
    scrubbed: int = Field(default=0, description="Items kept without their personal fields (orders' facts)")
    suppressed: int = Field(default=0, description="Emails, phones and ids kept as digests, refused from now on")


class Erasure(Model):
    customer_id: str
    status: Literal["erased"] = "erased"
    erased_at: datetime
    erased_by: str
    legal_basis: LegalBasis
    reason: str
    customers: list[str] = Field(description="The customer and every customer merged into it: all erased")
    items: ErasedItems


def kept_entry(values: dict, keep_orders: bool) -> dict | None:
    """A timeline entry after erasure: an order's facts when bookkeeping keeps orders, else nothing."""
    if keep_orders and values.get("type") == "order":
        return {name: value for name, value in values.items() if name in ORDER_FACTS}
    return None


def scrubbed_changes(changes: list[dict]) -> list[dict]:
    """An audit entry's changes with every value replaced: who changed which field when stays."""
    return [
        {
            name: (ERASED_VALUE if name in ("before", "after") and value is not None else value)
            for name, value in c.items()
        }
        for c in changes
    ]


def tombstone(profile: dict, erasure: Erasure) -> dict:
    """The profile's values once the person is erased."""
    kept = {name: profile[name] for name in TOMBSTONE_FIELDS if name in profile}
    return kept | {
        "entity": "customer",
        "status": "erased",
        "version": profile["version"] + 1,
        "updated_at": erasure.erased_at.isoformat(),
        "updated_by": erasure.erased_by,
        "archived_at": profile.get("archived_at") or erasure.erased_at.isoformat(),
        "erased_at": erasure.erased_at.isoformat(),
        "erased_by": erasure.erased_by,
        "legal_basis": erasure.legal_basis,
        "erasure_reason": erasure.reason,
    }
