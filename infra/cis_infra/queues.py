"""Encrypted SQS queues, and the alarm every dead-letter queue gets: someone must look when one fills."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cis_infra.nag import SERVERLESS, acknowledge

DEAD_LETTER_RETENTION = Duration.days(14)  # SQS's longest


def encrypted_queue(scope: Construct, construct_id: str, key: kms.IKey, **options) -> sqs.Queue:
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        **options,
    )


def dead_letter_queue(
    scope: Construct, construct_id: str, key: kms.IKey, holds: str, retention: Duration = DEAD_LETTER_RETENTION
) -> sqs.Queue:
    """A queue that IS a dead-letter queue: kept 14 days unless told, read by people, not by a function."""
    queue = encrypted_queue(scope, construct_id, key, retention_period=retention)
    reason = (
        f"This queue IS a dead-letter queue ({holds}). No application consumes it, so there are no processing "
        "failures to move to another queue: operators inspect it when its depth alarm fires."
    )
    acknowledge(queue, "SQS3", reason)
    acknowledge(queue, "SQSRedrivePolicy", reason, pack=SERVERLESS)
    return queue


def depth_alarm(scope: Construct, construct_id: str, queue: sqs.IQueue, description: str) -> cloudwatch.Alarm:
    """One message is enough: a dead-letter queue should always be empty."""
    return cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_description=description,
        metric=queue.metric_approximate_number_of_messages_visible(
            statistic=cloudwatch.Stats.MAXIMUM, period=Duration.minutes(1)
        ),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        # SQS stops sending metrics for a queue idle for hours: an empty queue, so not breaching.
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
