"""One JSON shape for every error: {"error": {"code", "message", "fields": [{"path", "problem"}]}}.

Written as plain JSON, so the gate and API Gateway's own answers need no models; the shape's
pydantic description for the OpenAPI document is cis.api.error_models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from cis.errors import (
    BadLink,
    CisError,
    Conflict,
    Erased,
    FieldProblem,
    InvalidRequest,
    Merged,
    NotFound,
    NotLinked,
    PreconditionFailed,
    Unprocessable,
)

ERROR_DESCRIPTIONS = {
    400: "Malformed request: JSON that does not parse, a bad cursor or header",
    401: "No valid token",
    403: "The caller may not call this route: a staff role it lacks, the other pool's token, or an unlinked sign-in",
    404: "No such customer or route",
    410: "The customer was merged into another (`merged_into` names it), or erased (code `erased`)",
    409: "Conflicts with stored data: a duplicate key, a likely duplicate customer, or a concurrent change to retry",
    412: "If-Match is not the current version",
    413: "Body too large",
    415: "Body is not JSON",
    422: "A field is invalid, unknown or read-only",
    503: "The database is throttling requests: retry after the seconds in Retry-After",
}

STATUS = {
    NotLinked: 403,
    BadLink: 403,
    Merged: 410,
    Erased: 410,
    NotFound: 404,
    PreconditionFailed: 412,
    Conflict: 409,
    InvalidRequest: 400,
    Unprocessable: 422,
}


def error_body(code: str, message: str, fields: Iterable[FieldProblem] = (), **extra: Any) -> str:
    error = {"code": code, "message": message, "fields": [{"path": f.path, "problem": f.problem} for f in fields]}
    return json.dumps({"error": error | extra})


def status_of(error: CisError) -> int:
    return next((status for kind, status in STATUS.items() if isinstance(error, kind)), 400)


def validation_problems(errors: Sequence[dict]) -> tuple[int, str, str, list[FieldProblem]]:
    """Map Powertools/pydantic validation errors to (status, code, message, field problems)."""
    kinds = {error.get("type") for error in errors}
    if "json_invalid" in kinds:
        detail = next(e for e in errors if e.get("type") == "json_invalid").get("ctx", {}).get("error", "")
        return 400, "malformed_json", f"the body is not valid JSON ({detail})", [FieldProblem("body", "not JSON")]
    from cis.domain.problems import field_problems  # the request models are loaded by then: no extra cost

    problems = field_problems(errors)
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return 422, "validation_failed", f"{first.path}: {first.problem}{more}", problems


# What API Gateway itself answers before any function runs. The CDK app installs these as
# gateway responses and the local gateway answers with the same, so every 4xx has one shape.
GATEWAY_RESPONSES: dict[str, tuple[int, str, str]] = {
    "UNAUTHORIZED": (401, "unauthorized", "sign in: send a valid token in the Authorization header"),
    "EXPIRED_TOKEN": (401, "unauthorized", "the token has expired: sign in again"),
    "ACCESS_DENIED": (403, "forbidden", "this token may not call this route"),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "no such route"),
    "REQUEST_TOO_LARGE": (413, "body_too_large", "the request is larger than API Gateway accepts"),
    "THROTTLED": (429, "throttled", "too many requests: slow down and retry"),
    "BAD_REQUEST_BODY": (400, "invalid_request", "the request does not match the API's shape"),
}


def gateway_error_body(kind: str) -> tuple[int, str]:
    status, code, message = GATEWAY_RESPONSES[kind]
    return status, error_body(code, message)
