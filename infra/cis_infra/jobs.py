"""Scheduled jobs: an EventBridge Scheduler schedule per job (cron in the business time zone, retries,
a dead-letter queue), the bus rule that hands a job its own continuation, and alarms on both.

A job that runs out of time puts `job.continued` (source `cis.jobs`) on the bus with its cursor; the
rule sends it back to the same function, which picks up where it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Duration, Stack, TimeZone
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as lambda_destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from cis.repository.bus import JOBS_SOURCE
from cis.topology import FUNCTIONS, Function
from constructs import Construct

from cis_infra.functions import pascal_case
from cis_infra.queues import dead_letter_queue, depth_alarm

# A daily job that could not start within an hour is better run by hand (`cis jobs run`) than late.
MAX_EVENT_AGE = Duration.hours(1)
CONTINUATION_RETRIES = 3


class ScheduledJobs(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Alias],
        bus: events.IEventBus,
        key: kms.IKey,
        time_zone: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._bus, self._key, self._zone = bus, key, TimeZone.of(time_zone)
        self.schedules: dict[str, scheduler.Schedule] = {}
        self.dead_letter_queues = {}
        self.alarms: dict[str, list[cloudwatch.Alarm]] = {}
        for spec in FUNCTIONS:
            if spec.schedule is not None:
                self._job(spec, functions[spec.name])

    def _job(self, spec: Function, function: lambda_.Alias) -> None:
        cid, job = pascal_case(spec.name), spec.schedule.job
        # Invocations neither the scheduler nor the bus could deliver, after their retries; and, as the on-failure
        # destination, starts that failed every one of Lambda's attempts. Both invoke asynchronously, so once
        # Lambda has accepted a start, only Lambda's own retries and destination stand behind it.
        dead_letters = dead_letter_queue(self, f"{cid}DeadLetters", self._key, f"failed starts of job {job}")
        # On the alias, which the scheduler and the rule invoke (the function's own would cover $LATEST only).
        function.configure_async_invoke(on_failure=lambda_destinations.SqsDestination(dead_letters))

        # The scheduler's own role (the target would make one without the key): invoke this function's
        # alias, and write to the encrypted dead-letter queue.
        role = iam.Role(
            self,
            f"{cid}SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
            ),
            description=f"EventBridge Scheduler: starts job {job}",
        )
        self._key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")
        # The target grants it lambda:InvokeFunction on this alias alone: no other version, no other function.
        self.schedules[job] = scheduler.Schedule(
            self,
            f"{cid}Schedule",
            description=f"Daily job {job}, {spec.schedule.cron} in {self._zone.timezone_name}",
            schedule=scheduler.ScheduleExpression.expression(spec.schedule.cron, self._zone),
            target=scheduler_targets.LambdaInvoke(
                function,
                # The handler takes the day from this: the schedule's time, read in the business zone.
                input=scheduler.ScheduleTargetInput.from_object(
                    {"job": job, "scheduled_time": scheduler.ContextAttribute.scheduled_time}
                ),
                retry_attempts=spec.schedule.retry_attempts,
                max_event_age=MAX_EVENT_AGE,
                dead_letter_queue=dead_letters,
                role=role,
            ),
        )

        events.Rule(
            self,
            f"{cid}Continued",
            description=f"Job {job} ran out of time: start it again from its cursor",
            event_bus=self._bus,
            event_pattern=events.EventPattern(
                source=[JOBS_SOURCE], detail_type=["job.continued"], detail={"job": [job]}
            ),
            targets=[
                event_targets.LambdaFunction(
                    function,
                    retry_attempts=CONTINUATION_RETRIES,
                    max_event_age=MAX_EVENT_AGE,
                    dead_letter_queue=dead_letters,
                )
            ],
        )
        # EventBridge writes to the dead-letter queue itself (not through a role): the key admits it for
        # this account's rules (naming this rule's ARN would make a cycle: key -> rule -> function -> key).
        self._key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/*"},
                },
            )
        )

        self.dead_letter_queues[job] = dead_letters
        self.alarms[job] = [
            depth_alarm(
                self,
                f"{cid}DeadLettersAlarm",
                dead_letters,
                f"Job {job} did not run: a start (schedule or continuation) was undelivered after retries, or "
                "failed every attempt Lambda made. Run it by hand for the day in the message, in its body or its "
                f"requestPayload (`cis jobs run {job} --date ...`).",
            ),
            cloudwatch.Alarm(
                self,
                f"{cid}ErrorsAlarm",
                alarm_description=(
                    f"Job {job} failed: its logs say why. Lambda retries; a start that fails each time is kept in "
                    "its dead-letter queue."
                ),
                # The function's metric counts every version's errors, whatever alias they came through.
                metric=function.version.lambda_.metric_errors(
                    statistic=cloudwatch.Stats.SUM, period=Duration.minutes(5)
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        ]
