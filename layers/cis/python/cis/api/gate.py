"""The gate in front of every API function's resolver, and the answer it gives in Lambda's proxy shape.

The gate runs before Powertools parses anything, in the order API Gateway itself would
answer: unknown route, then who is calling (401/403), then what they sent (413/415).
It needs no pydantic and no model, so api_docs, which serves a file, loads this module alone.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response

from cis.api.auth import Principal, allowed, principal_from_event
from cis.api.errors import GATEWAY_RESPONSES, error_body
from cis.config import settings
from cis.errors import FieldProblem
from cis.topology import Route, find_route

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

JSON = "application/json"


def error_response(status: int, code: str, message: str, fields=(), headers=None, **extra: Any) -> Response:
    return Response(status, JSON, error_body(code, message, fields, **extra), headers=headers)


def gate(event: dict) -> Response | None:
    """An error response when the request must not reach the routes, else None."""
    route = find_route(event.get("httpMethod", ""), event.get("resource", ""))
    if route is None:
        return None  # the resolver answers 404 in the common shape
    # A signed route (an unsubscribe link's) has no sign-in to check: its handler verifies the token.
    if route.signed_in:
        caller = principal_from_event(event)
        if caller is None:  # API Gateway's authorizer answers this in the cloud; same words here
            return error_response(*GATEWAY_RESPONSES["UNAUTHORIZED"])
        if not allowed(caller, route):
            return error_response(403, *_refusal(caller, route))
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
    if route.form:  # RFC 8058's one-click POST: a form body, on the routes that declare one only
        return _form_refusal(body, event)
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


FORM = "application/x-www-form-urlencoded"


def _form_refusal(body: str, event: dict) -> Response | None:
    headers = event.get("headers") or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "") or ""
    if body and not re.match(rf"^{re.escape(FORM)}\s*(;|$)", content_type.strip(), re.IGNORECASE):
        return error_response(
            415, "unsupported_media_type", f"send a form (Content-Type: {FORM}), not {content_type or 'nothing'}"
        )
    return None


def _refusal(caller: Principal, route: Route) -> tuple[str, str]:
    """(code, message) of a 403: the wrong kind of token says which kind the route takes."""
    where = f"{route.method} {route.path}"
    if route.customer:
        return "customers_only", f"{where} is a customer's own route: sign in to the customer app, not as staff"
    if caller.customer:
        return "staff_only", f"{where} is for staff: a customer's token reaches the /v1/me routes only"
    return "forbidden", f"{where} needs one of the roles: {', '.join(sorted(route.roles))}"


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
    refused = gate(event)
    answer = _as_proxy(refused) if refused is not None else app.resolve(event, context)
    route = find_route(event.get("httpMethod", ""), event.get("resource", ""))
    if route is None or not route.public:  # a signed route's page names what its link withdraws: not kept either
        _never_stored(answer)
    return answer


# Every answer of a route that takes a token may hold personal data (a profile, a timeline, an error
# quoting a duplicate's id): no browser, proxy or CDN may keep a copy. The public routes (the OpenAPI
# document, Swagger UI) hold the API's shape only and stay cacheable.
NO_STORE = "no-store"


def _never_stored(answer: dict) -> None:
    """Cache-Control: no-store on a proxy answer, in whichever header map it uses (Powertools answers a
    REST API event with multiValueHeaders, the gate's refusals with headers)."""
    if "multiValueHeaders" in answer:
        answer["multiValueHeaders"] = (answer["multiValueHeaders"] or {}) | {"Cache-Control": [NO_STORE]}
    else:
        answer["headers"] = (answer.get("headers") or {}) | {"Cache-Control": NO_STORE}


def _as_proxy(response: Response) -> dict:
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": response.content_type, **(response.headers or {})},
        "body": response.body,
        "isBase64Encoded": False,
    }
