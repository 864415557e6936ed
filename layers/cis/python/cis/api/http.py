"""The resolver every API function uses, and the gate in front of it.

The gate runs before Powertools parses anything, in the order API Gateway itself would
answer: unknown route, then who is calling (401/403), then what they sent (413/415).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from botocore.exceptions import ClientError

from cis.api.auth import Principal, allowed, principal_from_event
from cis.api.errors import (
    GATEWAY_RESPONSES,
    error_body,
    status_of,
    validation_problems,
)
from cis.config import settings
from cis.domain.ids import CUSTOMER_ID_PATTERN
from cis.errors import CisError, FieldProblem, InvalidRequest
from cis.topology import find_route

if TYPE_CHECKING:
    from pydantic import BaseModel

JSON = "application/json"
logger = Logger(child=True)

# Path parameters every API function shares.
ULID_PATTERN = CUSTOMER_ID_PATTERN
CustomerId = Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN, description="Customer id (ULID)")]
InteractionId = Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN, description="Interaction id (ULID)")]
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"?\d{1,18}"?)\s*$'
IfMatch = Annotated[
    str | None, Header(alias="If-Match", pattern=IF_MATCH_PATTERN, description="ETag of the version you read")
]
SubscriptionId = Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN, description="Subscription id (ULID)")]


def error_response(status: int, code: str, message: str, fields=(), headers=None, **extra: Any) -> Response:
    return Response(status, JSON, error_body(code, message, fields, **extra), headers=headers)


def create_resolver(idempotency_store: Any = None) -> APIGatewayRestResolver:
    """The resolver of one API function; give it the idempotency store when it has POST routes."""
    app = APIGatewayRestResolver(enable_validation=True)
    app.idempotency_store = idempotency_store

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        status, code, message, fields = validation_problems(error.errors())
        return error_response(status, code, message, fields)

    @app.exception_handler(CisError)
    def _domain(error: CisError) -> Response:
        # A conflict with other writers (not with stored data) goes away on its own: say when to retry.
        headers = {"Retry-After": "1"} if error.code == "concurrent_update" else None
        return error_response(
            status_of(error), error.code, error.message, error.fields, headers=headers, **error.extra()
        )

    def _busy(error: BaseException | None) -> Response | None:
        """Throttling that outlasted botocore's retries, or a write blocked by another's transaction."""
        from cis.api import backpressure  # only after an AWS error; boto3 has loaded what it needs by then

        if backpressure.throttled(error):
            message = "the database is busy right now: retry after the number of seconds in Retry-After"
            return error_response(503, "unavailable", message, headers={"Retry-After": str(backpressure.RETRY_AFTER_S)})
        conflict = backpressure.as_conflict(error)
        return _domain(conflict) if conflict else None

    @app.exception_handler(ClientError)
    def _aws(error: ClientError) -> Response:
        return _busy(error) or _unexpected(error)

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        # Type and stack, not the message: messages can quote request data, and so personal data.
        stack = "".join(traceback.format_tb(error.__traceback__))
        logger.error("unhandled error", extra={"error_type": type(error).__name__, "stack": stack})
        return error_response(500, "internal_error", "something went wrong on our side; it has been logged")

    @app.exception_handler(NotFoundError)
    def _no_route(_: Exception) -> Response:
        return error_response(404, "not_found", "no such route")

    if idempotency_store is not None:
        _answer_idempotency_errors(app, _busy, _unexpected)
    return app


def _answer_idempotency_errors(app: APIGatewayRestResolver, busy: Callable, unexpected: Callable) -> None:
    """Powertools Idempotency's errors, in the common shape; imported here, by the functions with POST
    routes only, because that package loads boto3 and its DynamoDB persistence layer."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    @app.exception_handler(IdempotencyValidationError)
    def _reused_key(_: Exception) -> Response:
        message = "this Idempotency-Key was already used with a different body: use a new key for a new request"
        return error_response(422, "idempotency_key_reused", message, [FieldProblem("Idempotency-Key", "reused")])

    @app.exception_handler(IdempotencyAlreadyInProgressError)
    def _in_progress(_: Exception) -> Response:
        message = "a request with this Idempotency-Key is still being processed: retry in a moment"
        return error_response(409, "in_progress", message, headers={"Retry-After": "1"})

    @app.exception_handler(IdempotencyPersistenceLayerError)
    def _idempotency_store(error: IdempotencyPersistenceLayerError) -> Response:
        # Powertools wraps what the store raised: judge that.
        return busy(error.__cause__) or unexpected(error)


def principal(app: APIGatewayRestResolver) -> Principal:
    found = principal_from_event(app.current_event.raw_event)
    if found is None:  # the gate admits no protected route without one
        raise InvalidRequest("no caller identity on the request")
    return found


def gate(event: dict) -> Response | None:
    """An error response when the request must not reach the routes, else None."""
    route = find_route(event.get("httpMethod", ""), event.get("resource", ""))
    if route is None:
        return None  # the resolver answers 404 in the common shape
    if not route.public:
        caller = principal_from_event(event)
        if caller is None:  # API Gateway's authorizer answers this in the cloud; same words here
            return error_response(*GATEWAY_RESPONSES["UNAUTHORIZED"])
        if not allowed(caller, route):
            roles = ", ".join(sorted(route.roles))
            return error_response(403, "forbidden", f"{route.method} {route.path} needs one of the roles: {roles}")
    try:
        body = _body_text(event)
    except ValueError:
        return error_response(
            400, "malformed_body", "the body is not UTF-8 text: send JSON", [FieldProblem("body", "not UTF-8")]
        )
    if len(body.encode()) > settings.max_body_bytes:
        limit = settings.max_body_bytes
        return error_response(
            413, "body_too_large", f"the body is over {limit} bytes", [FieldProblem("body", "too large")]
        )
    if body and _too_deep(body):
        return error_response(
            400,
            "body_too_deep",
            f"the body nests objects and arrays more than {MAX_NESTING} deep",
            [FieldProblem("body", "too deep")],
        )
    headers = event.get("headers") or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "") or ""
    if body and not re.match(r"^application/([\w.-]+\+)?json\s*(;|$)", content_type.strip(), re.IGNORECASE):
        return error_response(
            415,
            "unsupported_media_type",
            f"send JSON (Content-Type: application/json), not {content_type or 'nothing'}",
        )
    if body:  # application/merge-patch+json is JSON to the parser
        event["headers"] = {k: v for k, v in headers.items() if k.lower() != "content-type"} | {"Content-Type": JSON}
    return None


# No request model nests more than a few levels. The limit sits far below where Python's parser
# raises RecursionError (about a thousand levels, less the stack already in use), so the resolver's
# own parse of a body the gate let through can never hit it.
MAX_NESTING = 64


def _too_deep(body: str) -> bool:
    """Whether the JSON nests objects and arrays more than MAX_NESTING levels deep."""
    if body.count("[") + body.count("{") <= MAX_NESTING:  # too few brackets to nest that deep
        return False
    try:
        parsed = json.loads(body)
    except RecursionError:
        return True
    except ValueError:
        return False  # not JSON: the resolver answers that in its own words
    level = [parsed] if isinstance(parsed, dict | list) else []
    for _ in range(MAX_NESTING):  # one level of containers at a time
        level = [c for v in level for c in (v.values() if isinstance(v, dict) else v) if isinstance(c, dict | list)]
        if not level:
            return False
    return True


def _body_text(event: dict) -> str:
    """The body as text, put back on the event: API Gateway base64-encodes bytes that are not UTF-8."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded") and body:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise ValueError("not UTF-8") from error
        event["body"], event["isBase64Encoded"] = body, False
    return body


def handle(app: APIGatewayRestResolver, event: dict, context: Any) -> dict:
    if getattr(app, "idempotency_store", None) is not None:
        from cis.api import idempotency  # loaded already: the POST routes registered through it

        idempotency.CONFIG.register_lambda_context(context)  # records expire before Lambda times out
    refused = gate(event)
    if refused is not None:
        return _as_proxy(refused)
    return app.resolve(event, context)


def _as_proxy(response: Response) -> dict:
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": response.content_type, **(response.headers or {})},
        "body": response.body,
        "isBase64Encoded": False,
    }


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version in an If-Match header ("3", W/"3" or 3); None when absent or *."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,18})"?\s*', if_match)
    if not match:
        raise InvalidRequest(
            'If-Match must be the ETag of the customer, such as "3"', [FieldProblem("If-Match", "not a version")]
        )
    return int(match.group(1))


def model_response(status: int, model: BaseModel, headers: dict | None = None) -> Response:
    # The model itself, not its JSON: Powertools validates it against the route's return type.
    return Response(status, JSON, model, headers=headers)
