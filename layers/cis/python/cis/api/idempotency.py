"""Idempotency-Key support: a retried request returns the first result (Powertools Idempotency)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel

# Keys are remembered for a day; the body must match, so a reused key cannot create another record.
CONFIG = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=86400)


def once_per_key(
    persistence, model: type[BaseModel], operation: Callable[[str, dict], BaseModel]
) -> Callable[..., Any]:
    """Wrap operation(caller, body) so that calls with the same caller + key run it once."""

    @idempotent_function(
        data_keyword_argument="request",
        persistence_store=persistence,
        config=CONFIG,
        output_serializer=PydanticSerializer(model),
    )
    def run(request: dict) -> BaseModel:
        return operation(request["caller"], request["body"])

    def call(caller: str, key: str, body: dict) -> BaseModel:
        # The caller is part of the key: two users' keys never collide.
        return run(request={"key": f"{caller}|{key}", "caller": caller, "body": body})

    return call
