"""Idempotency-Key support: a retried request gets the first response (Powertools Idempotency)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.encoders import jsonable_encoder
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer

JSON = "application/json"
# Keys are remembered for a day; the request must match, so a reused key cannot make another record.
CONFIG = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="request", expires_after_seconds=86400)


class ResponseSerializer(BaseIdempotencySerializer):
    """A route's answer (a model, or a Response holding one) as stored, and back as a Response."""

    def __init__(self, status: int):
        self.status = status  # what a route that returns a bare model answers with

    def to_dict(self, data: Any) -> dict:
        response = data if isinstance(data, Response) else Response(self.status, JSON, data)
        headers = {k: v for k, v in (response.headers or {}).items() if k != "Content-Type"}
        return {"status": response.status_code, "headers": headers, "body": jsonable_encoder(response.body)}

    def from_dict(self, data: dict) -> Response:
        return Response(int(data["status"]), JSON if data["body"] is not None else None, data["body"], data["headers"])


def once_per_key(persistence: Any, route_handler: Callable[..., Any], status: int) -> Callable[..., Any]:
    """Wrap a route handler so that calls with the same caller + key run it once."""

    @idempotent_function(
        data_keyword_argument="call",
        persistence_store=persistence,
        config=CONFIG,
        output_serializer=ResponseSerializer(status),
    )
    def run(call: dict) -> Any:
        return route_handler(**call["arguments"])

    def call(caller: str, key: str, operation_id: str, arguments: dict) -> Any:
        # The caller is part of the key: two users' keys never collide. The operation and every
        # argument are the request a reused key must match.
        request = {"operation": operation_id, "arguments": jsonable_encoder(arguments)}
        return run(call={"key": f"{caller}|{key}", "request": request, "arguments": arguments})

    return call
