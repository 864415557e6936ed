"""Customers' own API: resolve the caller's record, call the service bound to it, shape the response.

No route here takes a customer id: `me()` is the caller's own record, found from their sign-in."""

from typing import Annotated

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from cis.api import http
from cis.api.operations import operation
from cis.config import settings
from cis.domain.consent import Channel, Purpose
from cis.domain.devices import DeviceIn, RegisteredDevice
from cis.domain.export import CustomerExport
from cis.domain.me import (
    CodeSent,
    ContactCheck,
    ErasureRequested,
    FeedbackThanks,
    MyConsent,
    MyErasureRequest,
    MyFeedback,
    MyMessage,
    MyOrder,
    MyOrderPage,
    MyProfile,
    MyProfilePatch,
    MySubscription,
    MySubscriptionChange,
    MySubscriptions,
    MyTicket,
    MyTicketIn,
    MyTicketPage,
    NewContact,
    Preferences,
    profile_of,
)
from cis.domain.subscriptions import parse_lead_times
from cis.domain.texts import TicketMessage
from cis.repository.factory import (
    access_log,
    code_senders,
    consent_repository,
    customer_repository,
    device_repository,
    duplicate_repository,
    dynamodb_client,
    idempotency_store,
    login_repository,
    personal_data,
    push_endpoints,
    subscription_repository,
    timeline_repository,
    verification_repository,
)
from cis.service.consents import ConsentService
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.export import ExportService
from cis.service.me import Me, SelfService
from cis.service.subscriptions import SubscriptionService


def timeline_service():
    from cis.service.timeline import TimelineService  # the timeline's entry models: not for a profile read

    return TimelineService(timeline_repository(client))


# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = dynamodb_client()
customers = CustomerService(customer_repository(client), DuplicateFinder(duplicate_repository(client), utcnow))
lead_times = parse_lead_times(settings.reminder_lead_days)
self_service = SelfService(
    login_repository(client),
    customers,
    timeline_service,  # at first use: see SelfService.timeline
    ConsentService(consent_repository(client)),
    SubscriptionService(subscription_repository(client), lead_times, settings.business_time_zone),
    ExportService(customers, personal_data(client), utcnow, access_log(client)),
    device_repository(client),
    push_endpoints(),
    verification_repository(client),
    code_senders,  # called at the first code sent: the senders load the message models and their babel
    utcnow,
)
app = http.create_resolver(lambda: idempotency_store(client))
OrderId = Annotated[str, Path(pattern=http.ULID_PATTERN, description="The order's id (from GET /v1/me/orders)")]
TicketId = Annotated[str, Path(pattern=http.ULID_PATTERN, description="The ticket's id (from GET /v1/me/tickets)")]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=1024)]


def me() -> Me:
    return self_service.signed_in(http.principal(app))


def _profile(profile: MyProfile) -> Response[MyProfile]:
    return http.model_response(200, profile, {"ETag": http.etag(profile.version)})


@operation(app, "getMe")
def get_me() -> Response[MyProfile]:
    return _profile(profile_of(me().customer))


@operation(app, "updateMe")
def update_me(body: MyProfilePatch, if_match: http.IfMatch = None) -> Response[MyProfile]:
    return _profile(profile_of(me().update(body, http.expected_version(if_match))))


@operation(app, "listMyOrders")
def list_my_orders(limit: Limit = 25, cursor: Cursor = None) -> MyOrderPage:
    return me().orders(limit, cursor)


@operation(app, "getMyOrder")
def get_my_order(order_id: OrderId) -> MyOrder:
    return me().order(order_id)


@operation(app, "openMyTicket")
def open_my_ticket(body: MyTicketIn) -> Response[MyTicket]:
    ticket = me().open_ticket(body)
    metrics.add_metric(name="SelfServiceTickets", unit=MetricUnit.Count, value=1)
    return http.model_response(201, ticket, {"Location": f"/v1/me/tickets/{ticket.id}"})


@operation(app, "listMyTickets")
def list_my_tickets(limit: Limit = 25, cursor: Cursor = None) -> MyTicketPage:
    return me().tickets(limit, cursor)


@operation(app, "getMyTicket")
def get_my_ticket(ticket_id: TicketId) -> MyTicket:
    return me().ticket(ticket_id)


@operation(app, "postMyTicketMessage")
def post_my_ticket_message(ticket_id: TicketId, body: TicketMessage) -> Response[MyMessage]:
    message = me().write(ticket_id, body)
    return http.model_response(201, message, {"Location": f"/v1/me/tickets/{ticket_id}"})


@operation(app, "giveFeedback")
def give_feedback(body: MyFeedback) -> Response[FeedbackThanks]:
    thanks = me().feedback(body)
    metrics.add_metric(name="SelfServiceFeedback", unit=MetricUnit.Count, value=1)
    return http.model_response(201, thanks, {"Location": "/v1/me"})


@operation(app, "registerMyDevice")
def register_my_device(body: DeviceIn) -> Response[RegisteredDevice]:
    device = me().register_device(body)
    return http.model_response(201, device, {"Location": "/v1/me"})


@operation(app, "removeMyDevice")
def remove_my_device(
    device_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="From POST /v1/me/devices")],
) -> Response[None]:
    me().remove_device(device_id)
    return Response(204)


@operation(app, "addMyContact")
def add_my_contact(body: NewContact) -> Response[CodeSent]:
    sent = me().send_code(body)
    return http.model_response(202, sent)


@operation(app, "verifyMyContact")
def verify_my_contact(body: ContactCheck) -> Response[MyProfile]:
    return _profile(profile_of(me().verify_contact(body)))


@operation(app, "getMyPreferences")
def get_my_preferences() -> Preferences:
    return me().preferences()


@operation(app, "setMyConsent")
def set_my_consent(
    channel: Annotated[Channel, Path(description="email, sms, push, phone or post")],
    purpose: Annotated[Purpose, Path(description="marketing, reminders or service")],
    body: MyConsent,
) -> Preferences:
    metrics.add_metric(name="SelfServiceConsentChanges", unit=MetricUnit.Count, value=1)
    return me().set_consent(channel, purpose, body)


@operation(app, "listMySubscriptions")
def list_my_subscriptions() -> MySubscriptions:
    return me().subscriptions()


@operation(app, "updateMySubscription")
def update_my_subscription(
    subscription_id: http.SubscriptionId, body: MySubscriptionChange, if_match: http.IfMatch = None
) -> Response[MySubscription]:
    changed = me().change_subscription(subscription_id, body, http.expected_version(if_match))
    return http.model_response(200, changed, {"ETag": http.etag(changed.version)})


@operation(app, "exportMe")
def export_me() -> CustomerExport:
    return me().export()


@operation(app, "requestMyErasure")
def request_my_erasure(body: MyErasureRequest | None = None) -> Response[ErasureRequested]:
    requested = me().request_erasure(body.reason if body else None)
    metrics.add_metric(name="ErasureRequests", unit=MetricUnit.Count, value=1)
    logger.info("erasure requested by the customer", extra={"erase_on": requested.erase_on.isoformat()})
    return http.model_response(202, requested)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # responses hold personal data
@metrics.log_metrics
def handler(event, context):
    return http.handle(app, event, context)
