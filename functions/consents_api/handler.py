"""The consent ledger: parse, authorize, call the service, shape the response."""

from typing import Annotated

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from cis.api import http
from cis.api.operations import operation
from cis.domain.consent import Channel, ConsentHistoryPage, ConsentIn, ConsentState, Purpose
from cis.repository.factory import consent_repository, customer_repository, dynamodb_client
from cis.service.consents import ConsentService
from cis.service.customers import CustomerService
from cis.topology import Role

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = dynamodb_client()
consents = ConsentService(consent_repository(client))
customers = CustomerService(customer_repository(client))
app = http.create_resolver()
ChannelPath = Annotated[Channel, Path(description="email, sms, push, phone or post")]
PurposePath = Annotated[Purpose, Path(description="marketing, reminders or service")]


@operation(app, "recordConsent")
def record_consent(
    customer_id: http.CustomerId, channel: ChannelPath, purpose: PurposePath, body: ConsentIn
) -> Response[ConsentState]:
    caller = http.principal(app)
    on_behalf_only = not caller.roles & {Role.ADMIN, Role.SUPPORT, Role.SALES}  # marketing alone
    state, current = consents.record(customer_id, channel, purpose, body, caller.actor, on_behalf_only)
    metrics.add_metric(name="ConsentChanges", unit=MetricUnit.Count, value=1)
    logger.info("consent recorded", extra={"customer_id": customer_id, "channel": channel, "purpose": purpose})
    # Current-State: false when a later capture is current: this one is kept in the history only, and the
    # answer is the state in force.
    return http.model_response(200, state, {"Current-State": str(current).lower()})


@operation(app, "getConsents")
def get_consents(customer_id: http.CustomerId) -> dict[str, ConsentState]:
    return customers.get(customer_id).consents


@operation(app, "getConsentHistory")
def get_consent_history(
    customer_id: http.CustomerId,
    channel: ChannelPath,
    purpose: PurposePath,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> ConsentHistoryPage:
    page = consents.history(customer_id, channel, purpose, limit, cursor)
    return ConsentHistoryPage(items=page.items, next_cursor=page.next_cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # responses hold personal data
@metrics.log_metrics
def handler(event, context):
    return http.handle(app, event, context)
