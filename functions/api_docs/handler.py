"""The API's OpenAPI document and Swagger UI (assets embedded by Powertools: no CDN)."""

import json
from pathlib import Path

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from cis import snapstart, topology
from cis.api import gate

snapstart.register()  # SnapStart hooks: the other handlers register them by importing cis.repository.factory

logger = Logger()
app = APIGatewayRestResolver()
# Generated from the customers API's models by `cis openapi`; a test fails when it drifts.
SPEC = json.loads((Path(__file__).parent / "openapi.json").read_text(encoding="utf-8"))


def _spec_here() -> str:
    """The document with its server set to where this request came in: /prod on the default
    execute-api URL, nothing under a custom domain, so "Try it out" calls the right URLs."""
    full, path = app.current_event.request_context.path or "", app.current_event.path
    base = full[: -len(path)] if path and full.endswith(path) else ""
    return json.dumps(SPEC | {"servers": [{"url": base or "/"}]})


def declared(operation_id: str):
    """Register a handler for the route the topology declares, as cis.api.operations does for the API
    functions: its paths take no parameters and it is not in the document, so it needs none of the
    models (and pydantic) that module loads."""
    _, route = topology.operation(operation_id)
    return app.route(route.path, route.method, operation_id=operation_id)


@declared("getOpenApiDocument")
def openapi_document() -> Response:
    return Response(200, gate.JSON, _spec_here())


@declared("getSwaggerUi")
def swagger_ui() -> Response:
    spec = _spec_here()
    if app.current_event.get_query_string_value("format") == "json":  # the link Swagger UI shows
        return Response(200, gate.JSON, spec)
    generate_swagger_html, assets = _swagger_ui()
    page = generate_swagger_html(
        spec.replace("</", "<\\/"),
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
        persist_authorization=True,
    )
    return Response(200, "text/html", page)


def _swagger_ui():
    """Powertools' Swagger UI page template and the folder of its assets. The template's module is
    loaded from its file, by the page and alone: importing it as a module of its package would run the
    package's __init__, which loads the OAuth2 config model, and through it Powertools' OpenAPI models
    and pydantic (several times this function's whole cold start)."""
    import importlib.util

    from aws_lambda_powertools.event_handler import api_gateway

    folder = Path(api_gateway.__file__).parent / "openapi" / "swagger_ui"
    spec = importlib.util.spec_from_file_location("cis_api_docs_swagger_html", folder / "html.py")
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)
    return template.generate_swagger_html, folder


@logger.inject_lambda_context
def handler(event, context):
    return gate.handle(app, event, context)
