"""The upload bucket and the import worker's queue (topology `uploads` and `work`).

A client PUTs a file to a URL the API signed (the API's role may put objects under uploads/, nothing
else); the bucket tells the worker's queue about each new object; the worker reads the file and
sends itself the parts through the same queue. Files are encrypted with the project's key, private,
reached over TLS only, and deleted after UPLOAD_DAYS: the table keeps each import's state and report.
"""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from cis.domain.import_files import UPLOAD_PREFIX
from cis.topology import FUNCTIONS, Function
from constructs import Construct

from cis_infra.functions import pascal_case
from cis_infra.nag import SERVERLESS, acknowledge
from cis_infra.queues import dead_letter_queue, depth_alarm, encrypted_queue

# What each `uploads` value may do: signing an upload URL lends the signer's rights to its PUT, which
# encrypts the object with the bucket's key (a data key from KMS); reading decrypts it.
GRANTS = {"sign": ("s3:PutObject", "kms:GenerateDataKey"), "read": ("s3:GetObject", "kms:Decrypt")}
UPLOAD_DAYS = 7  # long enough to look at a failed import's file, short for personal data in bulk


class Uploads(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Function],
        aliases: Mapping[str, lambda_.Alias],
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,  # one data key per object rather than a KMS call per request
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(UPLOAD_DAYS), abort_incomplete_multipart_upload_after=Duration.days(1)
                )
            ],
            # A web app PUTs the file from the browser: the signed URL is the credential, so any origin.
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.PUT], allowed_origins=["*"], allowed_headers=["*"])],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.bucket,
            "S1",
            f"Each object is an import's file, PUT once through a URL the API signed for that import (who "
            f"started it and when is kept in the table and the API's log) and deleted after {UPLOAD_DAYS} days; "
            "the import worker is its only reader.",
        )
        self.queues: dict[str, sqs.Queue] = {}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for spec in FUNCTIONS:
            if spec.uploads in GRANTS:
                self._grant(spec, functions[spec.name], key)
            elif spec.uploads != "none":
                raise ValueError(f"{spec.name}: uploads must be 'none', 'sign' or 'read', got {spec.uploads!r}")
            if spec.work is not None:
                self._work(spec, functions[spec.name], aliases[spec.name], key)

    def _grant(self, spec: Function, function: lambda_.Function, key: kms.IKey) -> None:
        """Exactly one S3 action on the upload prefix, and the one key action it needs (the bucket's key)."""
        s3_action, key_action = GRANTS[spec.uploads]
        function.add_to_role_policy(
            iam.PolicyStatement(actions=[s3_action], resources=[self.bucket.arn_for_objects(f"{UPLOAD_PREFIX}*")])
        )
        key.grant(function, key_action)
        function.add_environment("UPLOAD_BUCKET", self.bucket.bucket_name)
        acknowledge(
            function.role,
            f"IAM5[Resource::<{_logical_id(self.bucket)}.Arn>/{UPLOAD_PREFIX}*]",
            f"{s3_action} on the upload prefix: each import's object key (uploads/<import id>.csv) is made at run "
            "time, so no narrower ARN exists at deploy time.",
        )

    def _work(self, spec: Function, function: lambda_.Function, alias: lambda_.Alias, key: kms.IKey) -> None:
        cid, work = pascal_case(spec.name), spec.work
        if work.visibility_timeout_s < spec.timeout_s:
            raise ValueError(f"{spec.name}: the work queue's visibility timeout must be at least the function's")
        # A part's message holds its rows: kept no longer than the uploaded file itself.
        dead_letters = dead_letter_queue(
            self,
            f"{cid}DeadLetters",
            key,
            f"files and parts {spec.name} failed {work.max_receive_count} times",
            Duration.days(UPLOAD_DAYS),
        )
        queue = encrypted_queue(
            self,
            f"{cid}Queue",
            key,
            visibility_timeout=Duration.seconds(work.visibility_timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=work.max_receive_count, queue=dead_letters),
        )
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED, NotifiedQueue(queue, key), s3.NotificationKeyFilter(prefix=UPLOAD_PREFIX)
        )
        alias.add_event_source(
            sources.SqsEventSource(
                queue, batch_size=work.batch_size, max_concurrency=work.max_concurrency, report_batch_item_failures=True
            )
        )
        queue.grant_send_messages(function)  # the parts it cuts a file into
        function.add_environment("IMPORT_QUEUE_URL", queue.queue_url)
        acknowledge(
            alias.node.find_child(f"SqsEventSource:{_unique_id(queue)}"),
            "LambdaEventSourceMappingDestination",
            "Lambda takes no on-failure destination for an SQS event source mapping: a message the worker fails "
            f"{work.max_receive_count} times goes to the queue's dead-letter queue through its redrive policy "
            "(a part is reported in its import on its last attempt, so this holds only what could not be reported).",
            pack=SERVERLESS,
        )
        self.queues[spec.name] = queue
        self.alarms[spec.name] = depth_alarm(
            self,
            f"{cid}DeadLettersAlarm",
            dead_letters,
            f"{spec.name} failed a file or a part {work.max_receive_count} times: look at the message and the "
            "worker's log, fix the cause, then redrive the queue from the SQS console.",
        )
        self._acknowledge_notifications_handler()

    def _acknowledge_notifications_handler(self) -> None:
        """CDK sets a bucket's notifications through a custom resource: its handler is CDK's, not ours."""
        stack = Stack.of(self)
        handler = next(c for c in stack.node.children if c.node.id.startswith("BucketNotificationsHandler"))
        why = (
            "CDK's own BucketNotificationsHandler, a custom resource that only sets this stack's bucket "
            "notifications at deploy time; its code, runtime and role are CDK's."
        )
        for rule in ("IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",):
            acknowledge(handler, rule, why)
        acknowledge(handler, "IAM5[Resource::*]", why + " s3:PutBucketNotification takes the bucket from the event.")
        for rule in ("LambdaDLQ", "LambdaDefaultMemorySize", "LambdaDefaultTimeout", "LambdaTracing"):
            acknowledge(handler, rule, why, pack=SERVERLESS)


@jsii.implements(s3.IBucketNotificationDestination)
class NotifiedQueue:
    """An encrypted queue as a bucket's notification target. CDK's SqsDestination admits S3 to the key
    for this bucket's ARN, and the bucket is encrypted with the same key: each would need the other
    first (a circular dependency). Here the queue's policy names the bucket, and the key admits S3 to
    encrypt messages for this account's buckets only."""

    def __init__(self, queue: sqs.Queue, key: kms.IKey):
        self.queue, self.key = queue, key

    def bind(self, scope: Construct, bucket: s3.IBucket) -> s3.BucketNotificationDestinationConfig:
        s3_service = iam.ServicePrincipal("s3.amazonaws.com")
        self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[s3_service],
                actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources=[self.queue.queue_arn],
                conditions={"ArnLike": {"aws:SourceArn": bucket.bucket_arn}},
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[s3_service],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},  # S3 acting for this account
            )
        )
        return s3.BucketNotificationDestinationConfig(
            arn=self.queue.queue_arn,
            type=s3.BucketNotificationDestinationType.QUEUE,
            dependencies=[self.queue.node.find_child("Policy")],  # S3 checks it may send when it is set up
        )


def _logical_id(construct: Construct) -> str:
    return Stack.of(construct).get_logical_id(construct.node.default_child)


def _unique_id(construct: Construct) -> str:
    from aws_cdk import Names

    return Names.node_unique_id(construct.node)
