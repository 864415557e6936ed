"""Customer timelines: parse, authorize, call the service, shape the response (with role visibility)."""

from typing import Annotated, Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from cis.api import http
from cis.api.operations import operation
from cis.domain.changes import AuditPage
from cis.domain.interactions import TIMELINE_TYPES, InteractionIn, TicketMessage, TicketUpdate
from cis.domain.timeline import Customer360, MessageEntry, TicketEntry, TimelineEntry, TimelinePage, shown_entry
from cis.domain.visibility import visible_entries, visible_entry
from cis.repository.factory import audit_repository, dynamodb_client, idempotency_store, timeline_repository
from cis.service.audit import AuditService
from cis.service.timeline import TimelineService

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = dynamodb_client()
service = TimelineService(timeline_repository(client))
audit = AuditService(audit_repository(client))
app = http.create_resolver(lambda: idempotency_store(client))


@operation(app, "recordInteraction")
def record_interaction(customer_id: http.CustomerId, body: Annotated[InteractionIn, Body()]) -> Response[TimelineEntry]:
    caller = http.principal(app)
    entry = service.record(customer_id, body, caller.actor)
    metrics.add_metric(name="InteractionsRecorded", unit=MetricUnit.Count, value=1)
    logger.info("interaction recorded", extra={"customer_id": customer_id, "type": entry.type})
    shown = visible_entry(entry.model_dump(mode="json"), caller.roles)
    return http.model_response(201, shown_entry(shown), {"Location": f"/v1/customers/{customer_id}/timeline"})


@operation(app, "updateTicket")
def update_ticket(customer_id: http.CustomerId, interaction_id: http.InteractionId, body: TicketUpdate) -> TicketEntry:
    return service.update_ticket(customer_id, interaction_id, body, http.principal(app).actor)


@operation(app, "replyToTicket")
def reply_to_ticket(
    customer_id: http.CustomerId, interaction_id: http.InteractionId, body: TicketMessage
) -> Response[MessageEntry]:
    entry = service.add_message(customer_id, interaction_id, body, "staff", http.principal(app).actor)
    metrics.add_metric(name="TicketReplies", unit=MetricUnit.Count, value=1)
    return http.model_response(201, entry, {"Location": f"/v1/customers/{customer_id}/timeline"})


@operation(app, "getTimeline")
def get_timeline(
    customer_id: http.CustomerId,
    type: Annotated[Literal[TIMELINE_TYPES] | None, Query(description="Only entries of this type")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> TimelinePage:
    page = service.page(customer_id, type, limit, cursor, http.principal(app).roles)
    return TimelinePage(items=page.items, next_cursor=page.next_cursor)


@operation(app, "getCustomer360")
def get_customer_360(customer_id: http.CustomerId) -> Response[Customer360]:
    customer, entries = service.view(customer_id)
    view = Customer360(customer=customer, timeline=visible_entries(entries, http.principal(app).roles))
    return http.model_response(200, view, {"ETag": http.etag(customer.version)})


@operation(app, "getHistory")
def get_history(
    customer_id: http.CustomerId,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> AuditPage:
    service.customer(customer_id)  # unknown: 404, merged away: 410, as every other per-customer read
    page = audit.history(customer_id, limit, cursor, http.principal(app).roles)
    return AuditPage(items=page.items, next_cursor=page.next_cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # responses hold personal data
@metrics.log_metrics
def handler(event, context):
    return http.handle(app, event, context)
