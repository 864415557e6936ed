"""The API's OpenAPI document and Swagger UI (assets embedded by Powertools: no CDN)."""

from pathlib import Path

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html
from cis.api import http

logger = Logger()
app = APIGatewayRestResolver()
# Generated from the customers API's models by `cis openapi`; a test fails when it drifts.
SPEC = (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")
_SWAGGER = Path(generate_swagger_html.__code__.co_filename).parent


@app.get("/v1/openapi.json")
def openapi_document() -> Response:
    return Response(200, http.JSON, SPEC)


@app.get("/docs")
def swagger_ui() -> Response:
    page = generate_swagger_html(
        SPEC.replace("</", "<\\/"),
        (_SWAGGER / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (_SWAGGER / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
        persist_authorization=True,
    )
    return Response(200, "text/html", page)


@logger.inject_lambda_context
def handler(event, context):
    return http.handle(app, event, context)
