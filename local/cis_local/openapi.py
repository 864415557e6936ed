"""Generate the OpenAPI document from the API functions' routes and models."""

from __future__ import annotations

import json
import os

from cis_local.functions import FUNCTIONS_DIR, function_named, load_handler

SPEC_PATH = FUNCTIONS_DIR / "api_docs" / "openapi.json"
TITLE = "Customer Information System API"
VERSION = "1.0.0"
DESCRIPTION = (
    "One current record per customer for sales, marketing, support and billing. "
    "Authenticate with a Cognito ID token in the Authorization header; your Cognito groups are your roles."
)


def generate() -> str:
    # Importing a handler creates AWS clients (no calls are made); give them a region.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    app = load_handler(function_named("customers_api")).app
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    schema = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes={"cognito": APIKey(name="Authorization", **{"in": APIKeyIn.header})},
        security=[{"cognito": []}],
    )
    return json.dumps(json.loads(schema), indent=2, sort_keys=True) + "\n"


def write() -> None:
    SPEC_PATH.write_text(generate(), encoding="utf-8")
    print(f"wrote {SPEC_PATH.relative_to(FUNCTIONS_DIR.parent)}")
