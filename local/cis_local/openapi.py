"""Generate the OpenAPI document from the API functions' routes and models."""

from __future__ import annotations

import json
import os

from cis.topology import FUNCTIONS

from cis_local.functions import FUNCTIONS_DIR, load_handler

SPEC_PATH = FUNCTIONS_DIR / "api_docs" / "openapi.json"
TITLE = "Customer Information System API"
VERSION = "1.0.0"
DESCRIPTION = (
    "One current record per customer for sales, marketing, support and billing. "
    "Authenticate with a Cognito ID token in the Authorization header; your Cognito groups are your roles."
)


def api_functions():
    """The functions whose routes the document describes: every one with protected routes."""
    return [function for function in FUNCTIONS if any(not route.public for route in function.routes)]


def generate() -> str:
    # Importing a handler creates AWS clients (no calls are made); give them a region.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    document: dict = {}
    for function in api_functions():
        schema = json.loads(
            load_handler(function).app.get_openapi_json_schema(
                title=TITLE,
                version=VERSION,
                description=DESCRIPTION,
                security_schemes={"cognito": APIKey(name="Authorization", **{"in": APIKeyIn.header})},
                security=[{"cognito": []}],
            )
        )
        if not document:
            document = schema
            continue
        # Each function documents its own paths; models they share (Customer, ErrorResponse) are the same.
        document["paths"] |= schema["paths"]
        document["components"]["schemas"] |= schema["components"]["schemas"]
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write() -> None:
    SPEC_PATH.write_text(generate(), encoding="utf-8")
    print(f"wrote {SPEC_PATH.relative_to(FUNCTIONS_DIR.parent)}")
