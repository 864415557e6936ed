"""The embedded default: moto's server mode on loopback, the table, and the environment the
handlers read, so the real handlers run with no AWS account."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

from cis_local.moto_server import AtomicMotoServer
from cis_local.request_counter import COUNTS_FOLDER, count_sent_dynamodb_requests

DEFAULT_REGION = "eu-west-1"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class Backend:
    dynamodb_endpoint: str
    table_name: str
    embedded: bool
    aws_endpoint: str  # EventBridge, SQS and the streams API
    events_queue_url: str  # every event on the bus, for `cis events`
    stream_dead_letter_url: str
    queues: dict[str, tuple[str, str]]  # function name -> its event queue and dead-letter queue
    work_queues: dict[str, tuple[str, str]]  # function name -> its work queue and dead-letter queue
    upload_bucket: str


EVENTS_QUEUE = "cis-local-events"
STREAM_DLQ = "cis-local-stream-dlq"
UPLOAD_BUCKET = "cis-local-uploads"


def create_bus(endpoint: str, bus_name: str) -> tuple[str, str]:
    """The project's bus, with a rule delivering all its events to a queue one can read."""
    import boto3

    events, sqs = boto3.client("events", endpoint_url=endpoint), boto3.client("sqs", endpoint_url=endpoint)
    if bus_name not in [bus["Name"] for bus in events.list_event_buses()["EventBuses"]]:
        events.create_event_bus(Name=bus_name)
    queue_url = sqs.create_queue(QueueName=EVENTS_QUEUE)["QueueUrl"]
    dead_letter_url = sqs.create_queue(QueueName=STREAM_DLQ)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-cis-events", EventBusName=bus_name, EventPattern=json.dumps({"source": ["cis"]}))
    events.put_targets(Rule="all-cis-events", EventBusName=bus_name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url, dead_letter_url


def configure_environment(dynamodb_endpoint: str, table_name: str, aws_endpoint: str) -> None:
    """What Lambda's configuration would set, before any handler module is imported."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
    os.environ["AWS_ENDPOINT_URL_EVENTBRIDGE"] = aws_endpoint
    os.environ["AWS_ENDPOINT_URL_SQS"] = aws_endpoint
    os.environ["AWS_ENDPOINT_URL_SESV2"] = aws_endpoint
    os.environ["AWS_ENDPOINT_URL_SNS"] = aws_endpoint
    os.environ["AWS_ENDPOINT_URL_S3"] = aws_endpoint
    os.environ["AWS_ENDPOINT_URL_KMS"] = aws_endpoint
    os.environ.setdefault("UPLOAD_BUCKET", UPLOAD_BUCKET)
    os.environ["TABLE_NAME"] = table_name
    os.environ.setdefault("EVENT_BUS_NAME", "cis-local")
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "cis")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CIS")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


def create_function_queues(endpoint: str, bus_name: str) -> dict[str, tuple[str, str]]:
    """Each queue-fed function's queue, dead-letter queue and rule."""
    import boto3
    from cis.topology import FUNCTIONS

    from cis_local.queues import create_event_queue

    events, sqs = boto3.client("events", endpoint_url=endpoint), boto3.client("sqs", endpoint_url=endpoint)
    queues = {f.name: create_event_queue(events, sqs, bus_name, f) for f in FUNCTIONS if f.queue is not None}
    return queues


def create_uploads(endpoint: str) -> dict[str, tuple[str, str]]:
    """The upload bucket, and each work-fed function's queue, filled by the bucket's notifications (as
    the CDK app makes them). Sets IMPORT_QUEUE_URL, which the handlers read at import."""
    import boto3
    from cis.topology import FUNCTIONS

    from cis_local.queues import create_work_queue

    s3, sqs = boto3.client("s3", endpoint_url=endpoint), boto3.client("sqs", endpoint_url=endpoint)
    bucket = os.environ["UPLOAD_BUCKET"]
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_DEFAULT_REGION"]})
    queues = {f.name: create_work_queue(sqs, s3, bucket, f) for f in FUNCTIONS if f.work is not None}
    for queue_url, _ in queues.values():
        os.environ["IMPORT_QUEUE_URL"] = queue_url  # one work-fed function: the import worker
    return queues


def verify_sender(endpoint: str) -> None:
    """SES sends only from a verified identity; locally, the configured sender is one."""
    import boto3

    sender = os.environ.setdefault("CIS_SENDER_EMAIL", "reminders@cis.local")
    boto3.client("sesv2", endpoint_url=endpoint).create_email_identity(EmailIdentity=sender)


def create_push_applications(endpoint: str) -> None:
    """The customer app's push services, as SNS platform applications (the credentials are moto's to
    ignore): CIS_PUSH_APPLICATIONS, as the CDK app sets it from cdk.json pushPlatformApplications."""
    import json

    import boto3

    sns = boto3.client("sns", endpoint_url=endpoint)
    applications = {
        platform: sns.create_platform_application(
            Name=f"cis-local-{platform}", Platform=service, Attributes={"PlatformCredential": "local"}
        )["PlatformApplicationArn"]
        for platform, service in (("ios", "APNS_SANDBOX"), ("android", "GCM"))
    }
    os.environ.setdefault("CIS_PUSH_APPLICATIONS", json.dumps(applications))


UNSUBSCRIBE_KEY_ALIAS = "alias/cis-local-unsubscribe"


def create_link_key(endpoint: str) -> None:
    """The KMS HMAC key that signs unsubscribe links (moto implements GenerateMac and VerifyMac), named by
    its alias in CIS_UNSUBSCRIBE_KEY_ID, as the stack names its key by id."""
    import boto3

    kms = boto3.client("kms", endpoint_url=endpoint)
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Description="cis unsubscribe links")
    kms.create_alias(AliasName=UNSUBSCRIBE_KEY_ALIAS, TargetKeyId=key["KeyMetadata"]["KeyId"])
    os.environ["CIS_UNSUBSCRIBE_KEY_ID"] = UNSUBSCRIBE_KEY_ALIAS


@contextmanager
def backend(host: str = "127.0.0.1"):
    """Start moto's server, make the table (in moto, or where CIS_DYNAMODB_ENDPOINT says) and the bus."""
    import boto3

    from cis_local.table import ensure_table

    table_name = os.environ.get("TABLE_NAME", "cis-local")
    counts = None
    if os.environ.get("CIS_DYNAMODB_ENDPOINT"):
        # Not moto's DynamoDB: every process counts the requests it sends, and moto's server adds them up
        # (set before it and the containers start, which inherit it).
        counts = tempfile.mkdtemp(prefix="cis-dynamodb-requests-")
        os.environ[COUNTS_FOLDER] = counts
        count_sent_dynamodb_requests()
    # moto always carries the bus and queues; DynamoDB may live elsewhere (DynamoDB Local, AWS).
    server = AtomicMotoServer(host, int(os.environ.get("CIS_MOTO_PORT") or free_port(host)))
    server.start()
    endpoint = os.environ.get("CIS_DYNAMODB_ENDPOINT") or server.endpoint
    configure_environment(endpoint, table_name, server.endpoint)
    try:
        ensure_table(boto3.client("dynamodb", endpoint_url=endpoint), table_name)
        queue_url, dead_letter_url = create_bus(server.endpoint, os.environ["EVENT_BUS_NAME"])
        queues = create_function_queues(server.endpoint, os.environ["EVENT_BUS_NAME"])
        work_queues = create_uploads(server.endpoint)
        verify_sender(server.endpoint)
        create_push_applications(server.endpoint)
        create_link_key(server.endpoint)
        embedded = endpoint == server.endpoint
        yield Backend(
            endpoint,
            table_name,
            embedded,
            server.endpoint,
            queue_url,
            dead_letter_url,
            queues,
            work_queues,
            os.environ["UPLOAD_BUCKET"],
        )
    finally:
        server.stop()
        if counts:
            shutil.rmtree(counts, ignore_errors=True)
