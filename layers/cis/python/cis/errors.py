"""Errors the domain and repository raise; the API layer maps each to one HTTP status."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    path: str
    problem: str


@dataclass
class CisError(Exception):
    message: str
    fields: list[FieldProblem] = field(default_factory=list)
    code: str = "error"

    def __str__(self) -> str:
        return self.message

    def extra(self) -> dict:
        """What the error body carries beyond code, message and fields."""
        return {}


class NotFound(CisError):
    def __init__(self, message: str):
        super().__init__(message, code="not_found")


class NotLinked(CisError):
    """A customer-pool token whose sign-in is linked to no customer record (yet, or any more)."""

    def __init__(self):
        super().__init__(
            "your sign-in is not linked to a customer record: finish signing up (confirm your email), or "
            "contact support",
            code="not_linked",
        )


class BadLink(CisError):
    """An unsubscribe link's token that is not one of ours, was changed, or has expired."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


class PreconditionFailed(CisError):
    def __init__(self, message: str, current_version: int | None = None, stored_status: str | None = None):
        super().__init__(message, code="precondition_failed")
        self.current_version = current_version
        self.stored_status = stored_status

    def extra(self) -> dict:
        return {"current_version": self.current_version} if self.current_version is not None else {}


class InvalidRequest(CisError):
    def __init__(self, message: str, fields: list[FieldProblem] | None = None):
        super().__init__(message, fields or [], code="invalid_request")


class Unprocessable(CisError):
    """The request parsed, but the record it would make breaks a rule (e.g. a patch's result)."""

    def __init__(self, fields: list[FieldProblem]):
        more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
        super().__init__(f"{fields[0].path}: {fields[0].problem}{more}", fields, code="validation_failed")


@dataclass
class Conflict(CisError):
    existing_customer_id: str | None = None
    existing_interaction_id: str | None = None  # a repeated order: the entry that has it

    def extra(self) -> dict:
        existing = {"existing_customer_id": self.existing_customer_id}
        return {k: v for k, v in (existing | {"existing_interaction_id": self.existing_interaction_id}).items() if v}


def duplicate_key(path: str, what: str, existing_customer_id: str) -> Conflict:
    return Conflict(
        message=f"{what} already belongs to customer {existing_customer_id}",
        fields=[FieldProblem(path, f"already used by customer {existing_customer_id}")],
        code="duplicate",
        existing_customer_id=existing_customer_id,
    )


def concurrent_update(what: str) -> Conflict:
    """Other writers kept winning the race for `what`: nothing was written, and a retry will do."""
    return Conflict(f"{what} is being changed by others right now; retry", code="concurrent_update")


class PossibleDuplicate(Conflict):
    """A new record looks like existing customers; the caller decides (merge, or create anyway)."""

    def __init__(self, candidates: list):
        super().__init__(
            f"this looks like {len(candidates)} existing customer(s): check the candidates, "
            "then update one of them, or create anyway: ?on_duplicate=review lists the pairs for review, "
            "?on_duplicate=allow (or allow_duplicate=true) keeps them apart for good",
            code="possible_duplicate",
        )
        self.candidates = candidates

    def extra(self) -> dict:
        return {"candidates": [candidate.model_dump(mode="json") for candidate in self.candidates]}


class Merged(CisError):
    """The id was merged into another customer: the answer points there."""

    def __init__(self, customer_id: str, survivor_id: str, merge_id: str):
        super().__init__(f"customer {customer_id} was merged into customer {survivor_id}: use that id", code="merged")
        self.survivor_id, self.merge_id = survivor_id, merge_id

    def extra(self) -> dict:
        return {"merged_into": self.survivor_id, "merge_id": self.merge_id}


class Erased(CisError):
    """The customer's personal data was erased (right to erasure): only a tombstone is left."""

    def __init__(self, customer_id: str):
        super().__init__(f"customer {customer_id} was erased: nothing about them is kept", code="erased")


def erased_contact(path: str) -> Conflict:
    return Conflict(
        "this contact belonged to a customer whose data was erased: it is not taken again, so that an "
        "erased person does not come back through a later create or import",
        [FieldProblem(path, "belonged to an erased customer")],
        code="erased_contact",
    )


def archived(customer_id: str) -> Conflict:
    return Conflict(
        f"customer {customer_id} is archived and takes no changes: restore it first "
        f"(POST /v1/customers/{customer_id}/restore)",
        code="archived",
    )


def being_merged(customer_id: str) -> Conflict:
    return Conflict(f"customer {customer_id} is being merged right now; retry in a moment", code="merge_in_progress")
