"""The table's stream, read by every function the topology marks `reads_table_stream`.

Each reader gets an event source mapping that reports partial batch failures (Powertools
`process_partial_response`) and, once its retries are spent, sends the failed batch's
location to an encrypted dead-letter queue, whose depth is alarmed.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from cis.topology import FUNCTIONS, Function, stream_filter
from constructs import Construct

from cis_infra.functions import pascal_case
from cis_infra.queues import dead_letter_queue, depth_alarm

BATCH_SIZE = 100
RETRY_ATTEMPTS = 5
# DynamoDB keeps stream records for 24 hours: older ones cannot be read again anyway.
MAX_RECORD_AGE = Duration.days(1)


class TableStreamReaders(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Alias],
        table: dynamodb.Table,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        if table.table_stream_arn is None:
            raise ValueError("the topology has stream readers but the table has no stream (TABLE.stream)")
        self._table, self._key = table, key
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for spec in FUNCTIONS:
            if spec.reads_table_stream:
                self._read_stream(spec, functions[spec.name])

    def _read_stream(self, spec: Function, function: lambda_.Alias) -> None:
        cid = pascal_case(spec.name)
        # What Lambda sends here is the failed batch's shard and sequence numbers, not the records.
        queue = dead_letter_queue(
            self, f"{cid}DeadLetters", self._key, f"the on-failure destination of {spec.name}'s stream source"
        )
        # The mapping invokes the alias. The source grants the function's role the stream reads and
        # sqs:SendMessage on the queue (with the key); its table access stays what `table_access` granted.
        function.add_event_source(
            sources.DynamoEventSource(
                self._table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=BATCH_SIZE,
                bisect_batch_on_error=True,
                retry_attempts=RETRY_ATTEMPTS,
                report_batch_item_failures=True,
                max_record_age=MAX_RECORD_AGE,
                parallelization_factor=1,  # one batch per shard at a time: changes to an item stay in order
                on_failure=sources.SqsDlq(queue),
                filters=[lambda_.FilterCriteria.filter(pattern)] if (pattern := stream_filter(spec)) else None,
            )
        )
        self.alarms[spec.name] = depth_alarm(
            self,
            f"{cid}DeadLettersAlarm",
            queue,
            f"{spec.name} gave up on stream records: their audit entries and events are missing. The "
            "message names the shard and sequence numbers; the stream keeps records for 24 hours.",
        )
        self.dead_letter_queues[spec.name] = queue
