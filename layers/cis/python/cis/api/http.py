"""The resolver every API function uses: its error answers, the path and header parameters the
functions share, and the response helpers. The gate in front of it is cis.api.gate."""

from __future__ import annotations

import functools
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
from pydantic import BaseModel

from cis import snapstart
from cis.api import backpressure
from cis.api.auth import Principal, principal_from_event
from cis.api.errors import status_of, validation_problems
from cis.api.gate import JSON, error_response
from cis.api.gate import gate as gate  # the API functions and their tests reach the gate as http.gate
from cis.api.gate import handle as handle
from cis.domain.ids import CUSTOMER_ID_PATTERN
from cis.errors import CisError, FieldProblem, InvalidRequest

if TYPE_CHECKING:
    from pydantic import BaseModel

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


def create_resolver(idempotency_store: Callable[[], Any] | None = None) -> APIGatewayRestResolver:
    """The resolver of one API function; give it what makes the idempotency store when it has POST
    routes. The store is made at the first request that carries an Idempotency-Key, with Powertools
    Idempotency (its package loads boto3's DynamoDB layer): a cold start that only reads loads neither."""
    app = APIGatewayRestResolver(enable_validation=True)

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

    app.idempotency_store = None
    if idempotency_store is not None:

        @functools.cache
        def store() -> Any:
            _answer_idempotency_errors(app, _busy, _unexpected)  # before any of those errors can be raised
            return idempotency_store()

        app.idempotency_store = store  # cis.api.operations calls it at the first request with a key
    snapstart.prepare_before_snapshot(functools.partial(prepare_first_request, app))
    return app


def prepare_first_request(app: APIGatewayRestResolver) -> None:
    """Do now what a cold start leaves to the first request: each route's validation (Powertools
    derives it from the signature on first use), every loaded model's validator and serializer
    (defer_build), the idempotency store. Worth it only where init is paid once for many cold
    starts, as with SnapStart, which calls this before the snapshot."""
    for route in app._static_routes + app._dynamic_routes:
        route.dependant  # noqa: B018 (a cached property: reading it builds it)
        route.body_field  # noqa: B018
    pending, models = [BaseModel], []
    while pending:
        subclasses = pending.pop().__subclasses__()
        models += [model for model in subclasses if model.__module__.startswith("cis.")]
        pending += subclasses
    for model in models:
        if not model.__pydantic_complete__:
            model.model_rebuild(force=True)
    if app.idempotency_store is not None:
        app.idempotency_store()


def _answer_idempotency_errors(app: APIGatewayRestResolver, busy: Callable, unexpected: Callable) -> None:
    """Powertools Idempotency's errors, in the common shape; imported here, once a request has carried
    an Idempotency-Key, because that package loads boto3 and its DynamoDB persistence layer."""
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
