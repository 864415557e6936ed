"""Functions fed domain events through a queue (topology `queue`): a bus rule for their event types,
an encrypted queue whose dead-letter queue takes a message after `max_receive_count` receives, and
Lambda's SQS source reporting partial batch failures (only failed messages come back)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, Names
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from cis.repository.bus import SOURCE
from cis.topology import FUNCTIONS, Function
from constructs import Construct

from cis_infra.functions import pascal_case
from cis_infra.nag import SERVERLESS, acknowledge
from cis_infra.queues import dead_letter_queue, depth_alarm, encrypted_queue

# Events the rule could not put on the queue (it is the same account and key: rare) are retried for a day.
RULE_MAX_EVENT_AGE = Duration.days(1)
MAX_BATCHING_WINDOW = Duration.seconds(5)


class EventQueues(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Alias],
        bus: events.IEventBus,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self._bus, self._key = bus, key
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for spec in FUNCTIONS:
            if spec.queue is not None:
                self._feed(spec, functions[spec.name])

    def _feed(self, spec: Function, function: lambda_.Alias) -> None:
        cid, declared = pascal_case(spec.name), spec.queue
        if declared.visibility_timeout_s < spec.timeout_s:
            raise ValueError(f"{spec.name}: the queue's visibility timeout must be at least the function's timeout")
        dead_letters = dead_letter_queue(
            self,
            f"{cid}DeadLetters",
            self._key,
            f"messages {spec.name} failed {declared.max_receive_count} times, and events the bus could not "
            "deliver to its queue",
        )
        queue = encrypted_queue(
            self,
            f"{cid}Queue",
            self._key,
            visibility_timeout=Duration.seconds(declared.visibility_timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=declared.max_receive_count, queue=dead_letters),
        )
        # The target admits EventBridge to the queue and its key, for this account's rules. Events it still
        # cannot deliver go to the same dead-letter queue: the body is the event either way, so one redrive
        # puts both kinds back on the queue.
        events.Rule(
            self,
            f"{cid}Events",
            description=f"{', '.join(declared.detail_types)} to {spec.name}'s queue",
            event_bus=self._bus,
            event_pattern=events.EventPattern(source=[SOURCE], detail_type=list(declared.detail_types)),
            targets=[event_targets.SqsQueue(queue, max_event_age=RULE_MAX_EVENT_AGE, dead_letter_queue=dead_letters)],
        )
        # Invokes the alias; grants the function's role receive, delete and change-visibility on this
        # queue (and the key), nothing else.
        function.add_event_source(
            sources.SqsEventSource(
                queue,
                batch_size=declared.batch_size,
                max_batching_window=MAX_BATCHING_WINDOW,
                report_batch_item_failures=True,
            )
        )
        # SqsEventSource names the mapping it adds (under the alias) after the queue's unique id.
        acknowledge(
            function.node.find_child(f"SqsEventSource:{Names.node_unique_id(queue.node)}"),
            "LambdaEventSourceMappingDestination",
            "Lambda takes no on-failure destination for an SQS event source mapping (only for stream and Kafka "
            f"sources): messages {spec.name} fails go to the queue's dead-letter queue through its redrive policy, "
            f"after {declared.max_receive_count} receives.",
            pack=SERVERLESS,
        )
        self.queues[spec.name], self.dead_letter_queues[spec.name] = queue, dead_letters
        self.alarms[spec.name] = depth_alarm(
            self,
            f"{cid}DeadLettersAlarm",
            dead_letters,
            f"{spec.name} failed some messages {declared.max_receive_count} times (a provider outage, or a bug), "
            "or the bus could not deliver some events to its queue: they were not handled. Fix the cause, then "
            "redrive the queue from the SQS console.",
        )
