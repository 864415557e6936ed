"""Subscriptions: parse, authorize, call the service, shape the response."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from cis.api import http
from cis.api.operations import operation
from cis.config import settings
from cis.domain.subscriptions import (
    Renewal,
    Subscription,
    SubscriptionFields,
    SubscriptionList,
    SubscriptionPatch,
    parse_lead_times,
)
from cis.repository.factory import customer_repository, dynamodb_client, idempotency_store, subscription_repository
from cis.service.customers import CustomerService
from cis.service.subscriptions import SubscriptionService

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = dynamodb_client()
lead_times = parse_lead_times(settings.reminder_lead_days)
subscriptions = SubscriptionService(subscription_repository(client), lead_times, settings.business_time_zone)
customers = CustomerService(customer_repository(client))
app = http.create_resolver(lambda: idempotency_store(client))


def _subscription(status: int, subscription: Subscription, **headers: str) -> Response[Subscription]:
    return http.model_response(status, subscription, {"ETag": http.etag(subscription.version), **headers})


@operation(app, "createSubscription")
def create_subscription(customer_id: http.CustomerId, body: SubscriptionFields) -> Response[Subscription]:
    subscription = subscriptions.start(customer_id, body, http.principal(app).actor)
    metrics.add_metric(name="SubscriptionsStarted", unit=MetricUnit.Count, value=1)
    logger.info("subscription started", extra={"customer_id": customer_id, "subscription_id": subscription.id})
    return _subscription(201, subscription, Location=f"/v1/customers/{customer_id}/subscriptions/{subscription.id}")


@operation(app, "listSubscriptions")
def list_subscriptions(customer_id: http.CustomerId) -> SubscriptionList:
    # The profile keeps every subscription: one read, as the 360 view.
    kept = customers.get(customer_id).subscriptions or {}
    return SubscriptionList(items=sorted(kept.values(), key=lambda subscription: subscription.id))


@operation(app, "getSubscription")
def get_subscription(customer_id: http.CustomerId, subscription_id: http.SubscriptionId) -> Response[Subscription]:
    return _subscription(200, subscriptions.get(customer_id, subscription_id))


@operation(app, "updateSubscription")
def update_subscription(
    customer_id: http.CustomerId,
    subscription_id: http.SubscriptionId,
    body: SubscriptionPatch,
    if_match: http.IfMatch = None,
) -> Response[Subscription]:
    actor, expected = http.principal(app).actor, http.expected_version(if_match)
    return _subscription(200, subscriptions.update(customer_id, subscription_id, body, actor, expected))


@operation(app, "renewSubscription")
def renew_subscription(
    customer_id: http.CustomerId,
    subscription_id: http.SubscriptionId,
    body: Renewal | None = None,
    if_match: http.IfMatch = None,
) -> Response[Subscription]:
    actor, expected = http.principal(app).actor, http.expected_version(if_match)
    subscription = subscriptions.renew(customer_id, subscription_id, body or Renewal(), actor, expected)
    metrics.add_metric(name="SubscriptionsRenewed", unit=MetricUnit.Count, value=1)
    return _subscription(200, subscription)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # responses hold personal data
@metrics.log_metrics
def handler(event, context):
    return http.handle(app, event, context)
