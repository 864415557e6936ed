"""The daily renewal-reminders job: work out the day, run the job, continue if time runs short."""

from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from cis.config import settings
from cis.repository.factory import due_reminders, event_bus
from cis.service.reminders import JOB, RenewalReminderJob
from cis.service.schedule import run_day

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
bus = event_bus()
job = RenewalReminderJob(due_reminders(), bus)
zone = ZoneInfo(settings.business_time_zone)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    run = run_day(JOB, job, bus, event, context, zone)
    metrics.add_metric(name="RenewalRemindersDue", unit=MetricUnit.Count, value=run.emitted)
    logger.info("renewal reminders announced", extra={k: v for k, v in run.to_dict().items() if k != "cursor"})
    return run.to_dict()
