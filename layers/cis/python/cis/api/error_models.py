"""The error body (cis.api.errors.error_body) as models, for the OpenAPI document: imported by
cis.api.operations, which documents the routes, and not by the gate, the CDK app or the local gateway,
because the duplicate candidates bring the domain's models."""

from __future__ import annotations

from pydantic import Field

from cis.domain.duplicates import DuplicateCandidate
from cis.domain.model import Model


class FieldError(Model):
    path: str = Field(description="Where in the request: a body path such as emails[0].address, or a parameter")
    problem: str


class ErrorDetail(Model):
    code: str = Field(description="Stable, machine-readable: validation_failed, duplicate, precondition_failed, ...")
    message: str = Field(description="What went wrong and what to do, for a person")
    fields: list[FieldError]
    existing_customer_id: str | None = Field(default=None, description="With 409 duplicate: who has the value")
    existing_interaction_id: str | None = Field(
        default=None, description="With 409 duplicate of an order: the timeline entry that has its external_order_id"
    )
    current_version: int | None = Field(default=None, description="With 412: the version to read and retry from")
    merged_into: str | None = Field(default=None, description="With 410 merged: the customer to use instead")
    merge_id: str | None = Field(default=None, description="With 410 merged: the merge, which can be undone")
    candidates: list[DuplicateCandidate] | None = Field(
        default=None, description="With 409 possible_duplicate: the customers this one likely is, and why"
    )


class ErrorResponse(Model):
    error: ErrorDetail
