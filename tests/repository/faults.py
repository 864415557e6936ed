"""Faults injected into real clients with botocore event hooks.

A `before-send` hook answers in place of the service, so what follows is what a real error
runs through: botocore's parser, its retry policy (the handler's own Config) and the code
that catches the ClientError. A hook on the operation runs before moto's own `before-send`
handler, but botocore calls every handler and takes the first answer: so a faulted request is
pointed at a host moto does not serve, or moto would apply the write the fault refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import boto3
from botocore.awsrequest import AWSResponse
from cis.topology import Function
from cis_local.functions import load_handler
from cis_local.gateway import Gateway, LambdaContext

# botocore's standard retry mode waits up to 1, 2, 4 s between throttled attempts: tests do not wait.
NO_BACKOFF = ("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0)


UNSERVED = "https://fault.invalid/"


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


def json_error(code: str, status: int = 400, **members) -> Callable[[object], AWSResponse]:
    """An AWS JSON-protocol error response (DynamoDB, EventBridge), as the service sends it."""
    body = json.dumps({"__type": f"com.amazonaws.service#{code}", "message": f"injected {code}"} | members)

    def respond(request) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
        return AWSResponse(request.url, status, headers, _Raw(body.encode()))

    return respond


def json_ok(payload: dict) -> Callable[[object], AWSResponse]:
    def respond(request) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "fault"}
        return AWSResponse(request.url, 200, headers, _Raw(json.dumps(payload).encode()))

    return respond


def cancelled(*codes: str) -> Callable[[object], AWSResponse]:
    """TransactionCanceledException with one cancellation reason per item ("None" where it was fine)."""
    reasons = [{"Code": code, **({"Message": f"injected {code}"} if code != "None" else {})} for code in codes]
    return json_error("TransactionCanceledException", CancellationReasons=reasons)


@dataclass
class Fault:
    """Requests the hook saw (their JSON bodies) and how many it answered with the fault."""

    seen: list[dict] = field(default_factory=list)
    injected: int = 0


@contextmanager
def inject(
    client,
    operation: str,
    respond: Callable[[object], AWSResponse | None],
    times: int | None = None,
) -> Iterator[Fault]:
    """Answer `operation` on `client` with respond(request), the first `times` requests (None: all).
    `respond` may also return None to let the request through (a concurrent writer's hook)."""
    fault = Fault()
    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"

    def hook(request, **_):
        # botocore sends the same request object again on a retry: give moto back its address.
        request.url = getattr(request, "unfaulted_url", request.url)
        fault.seen.append(json.loads(request.body or b"{}"))
        if times is not None and fault.injected >= times:
            return None
        response = respond(request)
        if response is not None:
            fault.injected += 1
            request.unfaulted_url, request.url = request.url, UNSERVED
        return response

    client.meta.events.register(event, hook)
    try:
        yield fault
    finally:
        client.meta.events.unregister(event, hook)


def put_events_failing(fails: Callable[[dict], str | None]) -> Callable[[object], AWSResponse | None]:
    """PutEvents answered as EventBridge answers a partial failure: FailedEntryCount and, in order, an
    EventId or an ErrorCode per entry. The entries fails(entry) lets through reach moto's bus for real
    (through a client without this hook); those it names an error code for do not."""
    forward = boto3.client("events")

    def respond(request) -> AWSResponse | None:
        entries = json.loads(request.body)["Entries"]
        codes = [fails(entry) for entry in entries]
        if not any(codes):
            return None
        accepted = [entry for entry, code in zip(entries, codes, strict=True) if not code]
        ids = iter(forward.put_events(Entries=accepted)["Entries"] if accepted else [])
        results = [{"ErrorCode": code, "ErrorMessage": f"injected {code}"} if code else next(ids) for code in codes]
        return json_ok({"FailedEntryCount": sum(map(bool, codes)), "Entries": results})(request)

    return respond


def in_process(function: Function, monkeypatch) -> Callable:
    """call(method, path, body, headers) -> (status, headers, json) through a function's real handler,
    on the event the local gateway builds, as an admin; call.client is the handler's DynamoDB client."""
    monkeypatch.setattr(*NO_BACKOFF)
    module = load_handler(function)
    gateway = Gateway()

    def call(method: str, path: str, body: dict | None = None, headers: dict | None = None):
        binding, params = gateway.match(method, path.partition("?")[0])
        sent = {"Content-Type": ["application/json"]} | {k: [v] for k, v in (headers or {}).items()}
        raw = json.dumps(body).encode() if body is not None else b""
        claims = {"sub": "faults", "cognito:groups": "admin"}
        event = gateway.event(binding, method, path, sent, raw, params, claims)
        result = module.handler(event, LambdaContext(function))
        headers = (result.get("headers") or {}) | {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}
        return result["statusCode"], headers, json.loads(result["body"] or "null")

    call.module, call.client = module, module.client
    return call
