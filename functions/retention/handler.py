"""The daily retention job: erase the archived customers whose retention ended today."""

from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from cis.config import settings
from cis.repository.factory import (
    access_log,
    customer_repository,
    duplicate_repository,
    dynamodb_client,
    erasure_repository,
    erasures_due,
    event_bus,
    push_endpoint_deleter,
)
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.erasure import ErasureService
from cis.service.retention import JOB, RetentionJob
from cis.service.schedule import run_day

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = dynamodb_client()
bus = event_bus()
customers = CustomerService(customer_repository(client), DuplicateFinder(duplicate_repository(client), utcnow))
erasure = ErasureService(
    customers,
    erasure_repository(client),
    utcnow,
    settings.erasure_keeps_orders,
    access_log(client),
    delete_endpoint=push_endpoint_deleter(),
)
job = RetentionJob(erasures_due(client), erasure)
zone = ZoneInfo(settings.business_time_zone)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    run = run_day(JOB, job, bus, event, context, zone)
    metrics.add_metric(name="CustomersErasedByRetention", unit=MetricUnit.Count, value=run.erased)
    logger.info("retention run", extra={k: v for k, v in run.to_dict().items() if k != "cursor"})
    return run.to_dict()
