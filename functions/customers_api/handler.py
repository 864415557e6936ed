"""Staff API for customer profiles: parse, authorize, call the service, shape the response."""

from typing import Annotated, Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from cis.api import http
from cis.api.operations import operation
from cis.config import settings
from cis.domain.access import AccessLogPage
from cis.domain.customer import TAG_PATTERN, Customer, CustomerCreate, CustomerPage, CustomerPatch, CustomerStatus
from cis.domain.duplicates import OnDuplicate, on_duplicate_of, pair_id
from cis.domain.erasure import Erasure, ErasureRequest
from cis.domain.export import CustomerExport
from cis.domain.keys import key_from_query
from cis.domain.moments import Day
from cis.repository.factory import (
    access_log,
    customer_repository,
    duplicate_repository,
    dynamodb_client,
    erasure_repository,
    idempotency_store,
    personal_data,
    push_endpoint_deleter,
)
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.erasure import ErasureService
from cis.service.export import ExportService

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = dynamodb_client()
accesses = access_log(client)
finder = DuplicateFinder(duplicate_repository(client), utcnow)
service = CustomerService(customer_repository(client), finder, accesses=accesses)
erasure = ErasureService(
    service,
    erasure_repository(client),
    utcnow,
    settings.erasure_keeps_orders,
    accesses,
    delete_endpoint=push_endpoint_deleter(),
)
exports = ExportService(service, personal_data(client), utcnow, accesses)
app = http.create_resolver(lambda: idempotency_store(client))
TagPath = Annotated[str, Path(pattern=TAG_PATTERN, description="Tag, case-insensitive")]


def _customer(status: int, customer: Customer, **headers: str) -> Response[Customer]:
    return http.model_response(status, customer, {"ETag": http.etag(customer.version), **headers})


@operation(app, "createCustomer")
def create_customer(
    body: CustomerCreate,
    on_duplicate: Annotated[
        OnDuplicate | None,
        Query(
            description="On likely duplicates: reject (409 with the candidates; the default), allow (create, "
            "remembered as distinct: never listed), review (create, and list the pairs in /v1/duplicates; "
            "the Review-Pairs header names them)"
        ),
    ] = None,
    allow_duplicate: Annotated[bool, Query(description="true: the same as on_duplicate=allow (older clients)")] = False,
) -> Response[Customer]:
    chosen = on_duplicate_of(on_duplicate, allow_duplicate)
    customer, candidates = service.created(body, http.principal(app).actor, chosen)
    metrics.add_metric(name="CustomersCreated", unit=MetricUnit.Count, value=1)
    logger.info("customer created", extra={"customer_id": customer.id})
    headers = {"Location": f"/v1/customers/{customer.id}"}
    if chosen == "review":
        headers["Review-Pairs"] = ",".join(pair_id(customer.id, c.customer_id) for c in candidates)
    return _customer(201, customer, **headers)


@operation(app, "listCustomers")
def list_customers(
    email: Annotated[str | None, Query(max_length=254)] = None,
    phone: Annotated[str | None, Query(max_length=32)] = None,
    external_id: Annotated[str | None, Query(max_length=161, description="system:id, e.g. billing:C-1042")] = None,
    tag: Annotated[str | None, Query(pattern=TAG_PATTERN, description="Only customers with this tag")] = None,
    status: Annotated[CustomerStatus, Query()] = CustomerStatus.ACTIVE,
    churn_risk: Annotated[
        Literal["medium", "high"] | None,
        Query(description="Only active customers at this churn risk, highest score first"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> CustomerPage:
    key = key_from_query(email=email, phone=phone, external_id=external_id)
    tag = tag.lower() if tag else None
    page = service.listing(key, tag, status, churn_risk, limit, cursor, http.principal(app).actor)
    return CustomerPage(items=page.items, next_cursor=page.next_cursor)


@operation(app, "getCustomer")
def get_customer(customer_id: http.CustomerId) -> Response[Customer]:
    return _customer(200, service.get(customer_id))


@operation(app, "updateCustomer")
def update_customer(
    customer_id: http.CustomerId, body: CustomerPatch, if_match: http.IfMatch = None
) -> Response[Customer]:
    customer = service.update(customer_id, body, http.principal(app).actor, http.expected_version(if_match))
    return _customer(200, customer)


@operation(app, "addTag")
def add_tag(customer_id: http.CustomerId, tag: TagPath) -> Response[Customer]:
    return _customer(200, service.add_tag(customer_id, tag.lower(), http.principal(app).actor))


@operation(app, "removeTag")
def remove_tag(customer_id: http.CustomerId, tag: TagPath) -> Response[Customer]:
    return _customer(200, service.remove_tag(customer_id, tag.lower(), http.principal(app).actor))


@operation(app, "archiveCustomer")
def archive_customer(customer_id: http.CustomerId, if_match: http.IfMatch = None) -> Response[None]:
    service.archive(customer_id, http.principal(app).actor, http.expected_version(if_match))
    return Response(204)


@operation(app, "restoreCustomer")
def restore_customer(customer_id: http.CustomerId, if_match: http.IfMatch = None) -> Response[Customer]:
    customer = service.restore(customer_id, http.principal(app).actor, http.expected_version(if_match))
    return _customer(200, customer)


@operation(app, "eraseCustomer")
def erase_customer(customer_id: http.CustomerId, body: ErasureRequest) -> Erasure:
    done = erasure.erase(customer_id, body, http.principal(app).actor)
    metrics.add_metric(name="CustomersErased", unit=MetricUnit.Count, value=len(done.customers))
    logger.info("customer erased", extra={"customer_id": customer_id, "customers": len(done.customers)})
    return done


@operation(app, "exportCustomer")
def export_customer(customer_id: http.CustomerId) -> CustomerExport:
    logger.info("customer exported", extra={"customer_id": customer_id})
    return exports.export(customer_id, http.principal(app).actor)


@operation(app, "getAccessLog")
def get_access_log(
    date: Annotated[Day, Query(description="The day, YYYY-MM-DD (UTC)")],
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> AccessLogPage:
    page = accesses.page(date.isoformat(), limit, cursor)
    return AccessLogPage(items=page.items, next_cursor=page.next_cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # responses hold personal data
@metrics.log_metrics
def handler(event, context):
    return http.handle(app, event, context)
