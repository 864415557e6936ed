"""Generate the OpenAPI document from the API functions' routes and models."""

from __future__ import annotations

import json
import os
import re

from cis import topology

from cis_local.functions import FUNCTIONS_DIR, load_handler

SPEC_PATH = FUNCTIONS_DIR / "api_docs" / "openapi.json"
TITLE = "Customer Information System API"
VERSION = "1.0.0"
DESCRIPTION = (
    "One current record per customer for sales, marketing, support and billing. "
    "Authenticate with a Cognito ID token as a bearer token (Authorization: Bearer <token>). "
    "Staff sign in to the staff user pool, whose groups are their roles. Customers sign in to the "
    "customer user pool and reach their own record only, through the `me` routes (security scheme "
    "customerBearer): no customer route takes a customer id."
)
STAFF_TOKEN = "bearer"
CUSTOMER_TOKEN = "customerBearer"
MERGE_PATCH = "application/merge-patch+json"


def api_functions():
    """The functions whose routes the document describes: every one with protected routes."""
    return [function for function in topology.FUNCTIONS if any(not route.public for route in function.routes)]


def generate() -> str:
    # Importing a handler creates AWS clients (no calls are made); give them a region.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    document: dict = {}
    for function in api_functions():
        schema = json.loads(
            load_handler(function).app.get_openapi_json_schema(
                title=TITLE,
                version=VERSION,
                description=DESCRIPTION,
                security_schemes={
                    STAFF_TOKEN: HTTPBearer(bearerFormat="JWT", description="A staff pool Cognito ID token"),
                    CUSTOMER_TOKEN: HTTPBearer(
                        bearerFormat="JWT",
                        description="A customer pool Cognito ID token (the customer app's sign-in: code grant, PKCE)",
                    ),
                },
                security=[{STAFF_TOKEN: []}],
            )
        )
        if not document:
            document = schema
            continue
        # Each function documents its own paths; models they share (Customer, ErrorResponse) are the same.
        document["paths"] |= schema["paths"]
        document["components"]["schemas"] |= schema["components"]["schemas"]
    _customer_security(document)
    _signed_routes(document)
    return json.dumps(for_generated_clients(document), indent=2, sort_keys=True) + "\n"


def _customer_security(document: dict) -> None:
    """A customer route takes the customer pool's token: its operations name that scheme instead."""
    for function in topology.FUNCTIONS:
        for route in function.routes:
            if route.customer:
                document["paths"][route.path][route.method.lower()]["security"] = [{CUSTOMER_TOKEN: []}]


def _signed_routes(document: dict) -> None:
    """A signed route takes no bearer token (the link's own token is the authority), and a form route
    its RFC 8058 form body."""
    for function in topology.FUNCTIONS:
        for route in function.routes:
            if not route.signed:
                continue
            operation = document["paths"][route.path][route.method.lower()]
            operation["security"] = []
            if route.form:
                field = {"type": "string", "enum": ["One-Click"]}
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"List-Unsubscribe": field},
                                "required": ["List-Unsubscribe"],
                            }
                        }
                    },
                }


def for_generated_clients(document: dict) -> dict:
    """What Powertools' document leaves for client generators to guess, said outright."""
    for operations in document["paths"].values():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body is None:
                continue
            content = body["content"]
            if "application/json" not in content:  # a form body (a signed route's): as declared
                continue
            schema = content["application/json"]["schema"]
            # An optional body is an optional request body, not a body that may be JSON null.
            variants = schema.get("anyOf", [])
            if len(variants) == 2 and {"type": "null"} in variants:
                (model,) = [variant for variant in variants if variant != {"type": "null"}]
                content["application/json"]["schema"] = schema = model
                body["required"] = False
            if method == "patch":  # RFC 7396, as the README tells clients to send
                content[MERGE_PATCH] = {"schema": schema}
    document["components"]["schemas"] = _used(document)
    return document


def _used(document: dict) -> dict:
    """The component schemas something refers to, directly or through another component."""
    schemas = document["components"]["schemas"]
    refs = re.compile(r'"#/components/schemas/([^"]+)"')
    pending = set(refs.findall(json.dumps(document["paths"])))
    used: set[str] = set()
    while pending:
        name = pending.pop()
        used.add(name)
        pending |= set(refs.findall(json.dumps(schemas[name]))) - used
    return {name: schema for name, schema in schemas.items() if name in used}


def write() -> None:
    SPEC_PATH.write_text(generate(), encoding="utf-8")
    print(f"wrote {SPEC_PATH.relative_to(FUNCTIONS_DIR.parent)}")
