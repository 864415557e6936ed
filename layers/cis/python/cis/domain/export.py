"""The right of access and to portability (GDPR art. 15, 20): everything held about a person, as
one JSON document with a stable, documented schema (schema_version changes when a field's meaning does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from cis.domain.customer import Customer
from cis.domain.model import Model

SCHEMA_VERSION = "1"


class CustomerExport(Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    exported_at: datetime
    exported_by: str
    customer: Customer = Field(description="The profile: names, contacts, addresses, tags, consents, engagement")
    timeline: list[dict[str, Any]] = Field(
        description="Every entry, newest first: orders, tickets, feedback, notes, activities, notifications sent"
    )
    consent_history: list[dict[str, Any]] = Field(description="Every consent decision recorded, newest first")
    subscriptions: list[dict[str, Any]] = Field(description="Every subscription, with its price and renewal day")
    scheduled_reminders: list[dict[str, Any]] = Field(description="Renewal reminders still to come")
    likely_duplicates: list[dict[str, Any]] = Field(
        description="Other customers the system thinks may be this person, with its reasons"
    )
    churn_watches: list[dict[str, Any]] = Field(description="When the churn check will look at this customer next")
    order_keys: list[dict[str, Any]] = Field(description="The shop's order ids recorded for this customer")
    tag_copies: list[dict[str, Any]] = Field(description="The tag lists this customer appears in")
    contact_checks: list[dict[str, Any]] = Field(
        default_factory=list, description="Codes sent to contacts being added (digests only), until used"
    )
    sign_ins: list[dict[str, Any]] = Field(
        default_factory=list, description="The customer app sign-ins linked to this record, and when"
    )
    audit: list[dict[str, Any]] = Field(description="Who changed what about this customer, when, newest first")
    merged_from: list[str] = Field(description="Customers merged into this one: their data is included here")

    def for_the_customer(self) -> CustomerExport:
        """The copy a customer takes of their own data: what the system guesses about other people
        (likely duplicates, whom they were kept apart from) names those people, so it stays out
        (GDPR art. 15(4): the copy must not affect the rights of others)."""
        audit = [
            entry | {"changes": [c for c in entry.get("changes", []) if c.get("field") not in OTHERS]}
            for entry in self.audit
        ]
        customer = self.customer.model_copy(update={"distinct_from": None})
        return self.model_copy(update={"likely_duplicates": [], "customer": customer, "audit": audit})


# Fields whose values are other customers' ids.
OTHERS = frozenset({"distinct_from"})
