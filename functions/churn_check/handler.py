"""The daily churn check: work out the day, assess who is watched that day, continue if time runs short."""

from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from cis.config import settings
from cis.domain.churn import parse_rules
from cis.repository.factory import churn_repository, event_bus
from cis.service.churn import JOB, ChurnCheckJob
from cis.service.schedule import run_day

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
bus = event_bus()
zone = ZoneInfo(settings.business_time_zone)
job = ChurnCheckJob(churn_repository(), bus, parse_rules(settings.churn_rules), zone)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    run = run_day(JOB, job, bus, event, context, zone)
    # The ops dashboard's daily summary: customers assessed per level, newly at risk, check-ins queued.
    for level in ("low", "medium", "high"):  # zeros too: a dashboard line should not vanish on a quiet day
        metrics.add_metric(name=f"ChurnAssessed_{level}", unit=MetricUnit.Count, value=run.assessed[level])
    metrics.add_metric(name="ChurnNewlyAtRisk", unit=MetricUnit.Count, value=run.newly_at_risk)
    metrics.add_metric(name="ChurnLevelChanges", unit=MetricUnit.Count, value=run.level_changes)
    metrics.add_metric(name="ChurnCheckIns", unit=MetricUnit.Count, value=run.check_ins)
    logger.info("churn check done", extra={k: v for k, v in run.to_dict().items() if k != "cursor"})
    return run.to_dict()
