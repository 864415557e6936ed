"""Data quality: parse, authorize, call the service, shape the response."""

from typing import Annotated

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from cis.api import http
from cis.domain.duplicates import DuplicatePage
from cis.repository.factory import duplicate_repository, dynamodb_client
from cis.service.customers import utcnow
from cis.service.duplicates import DuplicateFinder

logger, tracer, metrics = Logger(), Tracer(), Metrics()
client = dynamodb_client()
duplicates = DuplicateFinder(duplicate_repository(client), utcnow)
app = http.create_resolver()


@app.get("/v1/duplicates", **http.documented("GET", "/v1/duplicates", 200, DuplicatePage))
def list_duplicates(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> DuplicatePage:
    page = duplicates.page(limit, cursor)
    return DuplicatePage.model_validate({"items": page.items, "next_cursor": page.next_cursor})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # responses hold personal data
@metrics.log_metrics
def handler(event, context):
    return http.handle(app, event, context)
