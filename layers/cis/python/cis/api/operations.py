"""Handlers register here, by operation id: everything else about a route comes from its one
declaration in the topology (path, method, summary, tag, status, errors, headers); the request and
response models come from the handler's signature. Every POST runs once per Idempotency-Key."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from pydantic import BaseModel, RootModel

from cis import topology
from cis.api import http
from cis.api.error_models import ErrorResponse
from cis.api.errors import ERROR_DESCRIPTIONS
from cis.api.links import links
from cis.topology import Route

JSON = http.JSON


RESPONSE_HEADERS = {
    "ETag": "The version of the resource, to send back as If-Match",
    "Location": "Where the created resource can be read",
    "Current-State": "true when this decision is the current one; false when a later capture is",
    "Retry-After": "Seconds to wait before retrying",
    "Review-Pairs": "With on_duplicate=review: the ids of the pairs listed for review (<id>~<other id>, sorted), "
    "comma-separated; empty when the customer looked like no one",
}
_RETRY_LATER = {409: "With code concurrent_update or in_progress: seconds to wait before retrying", 503: None}


def _header(name: str, description: str | None = None) -> dict:
    schema = {"type": "integer"} if name == "Retry-After" else {"type": "string"}
    return {"description": description or RESPONSE_HEADERS[name], "schema": schema}


def responses(route: Route, model: Any, takes_body: bool) -> dict:
    """Every response of a route: its success with headers and links, and each error it can answer."""
    # No model: no body (204), so no content either, or clients would expect JSON.
    ok: dict = {"description": "Success", "content": {JSON: {"model": model}} if model is not None else {}}
    if route.signed:  # answers the person who followed a link: a page
        ok["content"] = {"text/html": {"schema": {"type": "string"}}}
    headers = [*route.headers, *(["Location"] if route.status == 201 else [])]
    if headers:
        ok["headers"] = {name: _header(name) for name in headers}
    if next_calls := links(route, route.status, _fields_of(model)):
        ok["links"] = next_calls
    with_body = [413, 415] if takes_body or route.form else []
    merged = [410] if "{customer_id}" in route.path and 404 in route.errors else []  # a merged-away id points on
    idempotent = [409] if route.takes_idempotency_key else []  # a key still in progress
    # Every documented route reads or writes the table, which can throttle past botocore's retries: 503.
    # A signed route has no sign-in to be missing (401), only a link that may not be valid (403).
    protected = [401, 403] if route.signed_in else [403] if route.signed else []
    statuses = sorted({*route.errors, *merged, *with_body, *idempotent, *protected, 400, 422, 503})
    errors = {
        status: {"description": ERROR_DESCRIPTIONS[status], "content": {JSON: {"model": ErrorResponse}}}
        for status in statuses
    }
    for status, description in _RETRY_LATER.items():
        if status in errors:
            errors[status]["headers"] = {"Retry-After": _header("Retry-After", description)}
    return {route.status: ok} | errors


def operation(app: APIGatewayRestResolver, operation_id: str) -> Callable[[Callable], Callable]:
    """Register a handler for the route the topology declares under this operation id.

    Path, method, summary, tags and responses come from the declaration; the request and response
    models from the handler's signature. A POST runs once per Idempotency-Key."""
    function, route = topology.operation(operation_id)

    def register(handler: Callable) -> Callable:
        model = _returned_model(handler)
        takes_body = _takes_body(handler)
        if route.takes_idempotency_key:
            handler = _once_per_key(app, route, handler)
        rule = re.sub(r"{(\w+)}", r"<\1>", route.path)
        return app.route(
            rule,
            route.method,
            summary=route.summary,
            operation_id=route.operation_id,
            tags=[function.tag_of(route)],
            responses=responses(route, model, takes_body),
        )(handler)

    return register


def _fields_of(model: Any) -> set[str]:
    """The top-level body fields of a response: a model's, or those every member of a union has (a
    RootModel's root, such as TimelineEntry), since a link must hold whichever member comes back.
    A map or a list has none: its items are not the body's fields."""
    if isinstance(model, type) and issubclass(model, RootModel):
        model = model.model_fields["root"].annotation
    if isinstance(model, type) and issubclass(model, BaseModel):
        return set(model.model_fields)
    if isinstance(model, UnionType) or get_origin(model) is Union:
        return set.intersection(*(_fields_of(member) for member in get_args(model)))
    return set()


def _returned_model(handler: Callable) -> Any:
    """Customer from `-> Customer` or `-> Response[Customer]`; None from `-> Response[None]`."""
    returned = inspect.signature(handler).return_annotation
    if get_origin(returned) is Response:
        (returned,) = get_args(returned)
    return None if returned in (None, type(None), Response, inspect.Signature.empty) else returned


def _takes_body(handler: Callable) -> bool:
    for parameter in inspect.signature(handler).parameters.values():
        annotation = parameter.annotation
        if any(isinstance(meta, Body) for meta in getattr(annotation, "__metadata__", ())):
            return True
        candidates = get_args(annotation) if isinstance(annotation, UnionType) else (annotation,)
        if any(isinstance(c, type) and issubclass(c, BaseModel) for c in candidates):
            return True
    return False


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="Any unique text, such as a UUID: a retry with the same key and body gets the first answer",
    ),
]


def _once_per_key(app: APIGatewayRestResolver, route: Route, handler: Callable) -> Callable:
    """The handler, run once per caller and Idempotency-Key; a retry gets the first response."""
    store = getattr(app, "idempotency_store", None)
    if store is None:
        raise TypeError(f"{route.operation_id} is a POST: create its resolver with an idempotency store")
    once: Callable[..., Any] | None = None

    @functools.wraps(handler)
    def run(idempotency_key: str | None = None, **arguments: Any) -> Any:
        nonlocal once
        if idempotency_key is None:
            return handler(**arguments)
        # Powertools Idempotency loads boto3's DynamoDB layer: at the first request with a key, not at init.
        from cis.api import idempotency

        if once is None:
            once = idempotency.once_per_key(store(), handler, route.status)
        idempotency.CONFIG.register_lambda_context(app.lambda_context)  # records expire before Lambda times out
        return once(http.principal(app).actor, idempotency_key, route.operation_id, arguments)

    signature = inspect.signature(handler)
    key = inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=IdempotencyKey)
    run.__signature__ = signature.replace(parameters=[*signature.parameters.values(), key])
    return run
