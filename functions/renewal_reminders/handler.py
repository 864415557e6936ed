"""The daily renewal-reminders job: work out the day, run the job, continue if time runs short."""

from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from cis.config import settings
from cis.repository.factory import due_reminders, event_bus
from cis.service.reminders import JOB, RenewalReminderJob
from cis.service.schedule import day_and_cursor

logger, tracer, metrics = Logger(), Tracer(), Metrics()
bus = event_bus()
job = RenewalReminderJob(due_reminders(), bus)
zone = ZoneInfo(settings.business_time_zone)
MARGIN_MS = 60_000  # stop paging with this much time left: one page and the continuation fit easily


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    day, cursor = day_and_cursor(event, zone)
    run = job.run(day, cursor, lambda: context.get_remaining_time_in_millis() > MARGIN_MS)
    if run.cursor is not None:
        bus.continue_job(JOB, {"date": day.isoformat(), "cursor": run.cursor})
    metrics.add_metric(name="RenewalRemindersDue", unit=MetricUnit.Count, value=run.emitted)
    logger.info("renewal reminders announced", extra={k: v for k, v in run.to_dict().items() if k != "cursor"})
    return run.to_dict()
