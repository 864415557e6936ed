"""The DynamoDB client and the stores built on it; called once per container, at import.

Every SDK client is made by `_client`, which hands it to `cis.snapstart`: an environment restored
from a SnapStart snapshot closes the connections the snapshot's clients might hold (importing this
module registers those hooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from cis.config import settings
from cis.snapstart import track

# Each store's module is imported by the function that builds it: a handler loads only the
# repositories (and through them the domain models) it uses.
if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from cis.repository.access_log import AccessLog
    from cis.repository.audit import AuditRepository
    from cis.repository.bus import EventBus
    from cis.repository.churn import ChurnRepository
    from cis.repository.consents import ConsentRepository
    from cis.repository.customers import CustomerRepository
    from cis.repository.devices import DeviceRepository
    from cis.repository.duplicates import DuplicateRepository
    from cis.repository.erasure import ErasureRepository
    from cis.repository.import_files import ImportFileRepository
    from cis.repository.imports import ImportRepository
    from cis.repository.logins import LoginRepository
    from cis.repository.merges import MergeRepository
    from cis.repository.notifications import NotificationRepository
    from cis.repository.personal_data import PersonalData
    from cis.repository.push import PushEndpoints
    from cis.repository.queues import MessageQueue
    from cis.repository.reminders import DueReminders
    from cis.repository.retention import ErasuresDue
    from cis.repository.senders import EmailSender, SmsSender
    from cis.repository.subscriptions import SubscriptionRepository
    from cis.repository.timeline import TimelineRepository
    from cis.repository.unsubscribe import LinkKey
    from cis.repository.uploads import UploadBucket, WorkQueue
    from cis.repository.verifications import VerificationRepository

# botocore's standard retries absorb short throttling bursts before the API answers 503. Three
# attempts in all (botocore's "max_attempts" would count retries only): its throttling backoff waits
# up to 1 s, then 2 s, so a throttled call gives up well inside an API function's timeout.
MAX_ATTEMPTS = 3
# The notifier has no caller waiting and a minute to run, and once a message is out its record must
# not be lost to throttling (the claim would lapse and the message go out again): waits up to 15 s.
NOTIFIER_ATTEMPTS = 5


def _config(attempts: int = MAX_ATTEMPTS, validate: bool = True) -> Config:
    return Config(
        retries={"mode": "standard", "total_max_attempts": attempts},
        connect_timeout=2,
        read_timeout=5,
        parameter_validation=validate,
    )


_CONFIG = _config()


def _client(service: str, config: Config = _CONFIG):
    return track(boto3.client(service, config=config))


def dynamodb_client(attempts: int = MAX_ATTEMPTS, validate: bool = True):
    """validate=False: botocore does not check each request against the service model before sending it
    (DynamoDB checks it anyway). For the bulk writers (the import worker, the stream processor), whose
    requests are built by the repositories alone: checking a 100-action transaction was a tenth of an
    imported row's CPU. Functions that pass a caller's values on keep the check."""
    # Endpoint comes from AWS_ENDPOINT_URL_DYNAMODB when set: moto locally, AWS otherwise.
    return _client("dynamodb", _config(attempts, validate))


def customer_repository(client=None) -> CustomerRepository:
    from cis.repository.customers import CustomerRepository

    return CustomerRepository(client or dynamodb_client(), settings.table_name)


def erasure_repository(client=None) -> ErasureRepository:
    from cis.repository.erasure import ErasureRepository

    return ErasureRepository(client or dynamodb_client(), settings.table_name)


def access_log(client=None) -> AccessLog:
    from cis.repository.access_log import AccessLog

    return AccessLog(client or dynamodb_client(), settings.table_name)


def erasures_due(client=None) -> ErasuresDue:
    from cis.repository.retention import ErasuresDue

    return ErasuresDue(client or dynamodb_client(), settings.table_name)


def personal_data(client=None) -> PersonalData:
    from cis.repository.personal_data import PersonalData

    return PersonalData(client or dynamodb_client(), settings.table_name)


def idempotency_store(client) -> DynamoDBPersistenceLayer:
    """Powertools Idempotency records in the single table: PK=IDEMPOTENCY, SK=<hash of key>."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from cis.repository.keys import IDEMPOTENCY_PK
    from cis.topology import TABLE  # the API functions', which have it loaded; the others never load the topology

    return DynamoDBPersistenceLayer(
        table_name=settings.table_name,
        key_attr=TABLE.partition_key,
        sort_key_attr=TABLE.sort_key,
        static_pk_value=IDEMPOTENCY_PK,
        expiry_attr=TABLE.ttl_attribute,
        status_attr="idempotency_status",
        boto3_client=client,
    )


def timeline_repository(client=None) -> TimelineRepository:
    from cis.repository.timeline import TimelineRepository

    return TimelineRepository(client or dynamodb_client(), settings.table_name)


def consent_repository(client=None) -> ConsentRepository:
    from cis.repository.consents import ConsentRepository

    return ConsentRepository(client or dynamodb_client(), settings.table_name)


def audit_repository(client=None) -> AuditRepository:
    from cis.repository.audit import AuditRepository

    return AuditRepository(client or dynamodb_client(), settings.table_name)


def event_bus() -> EventBus:
    from cis.repository.bus import EventBus

    # Endpoint from AWS_ENDPOINT_URL_EVENTBRIDGE when set: moto locally, AWS otherwise.
    return EventBus(_client("events"), settings.event_bus_name)


def duplicate_repository(client=None) -> DuplicateRepository:
    from cis.repository.duplicates import DuplicateRepository

    return DuplicateRepository(client or dynamodb_client(), settings.table_name)


def merge_repository(client=None) -> MergeRepository:
    from cis.repository.merges import MergeRepository

    return MergeRepository(client or dynamodb_client(), settings.table_name)


def import_repository(client=None) -> ImportRepository:
    from cis.repository.imports import ImportRepository

    return ImportRepository(client or dynamodb_client(), settings.table_name)


def subscription_repository(client=None) -> SubscriptionRepository:
    from cis.repository.subscriptions import SubscriptionRepository

    return SubscriptionRepository(client or dynamodb_client(), settings.table_name)


def due_reminders(client=None) -> DueReminders:
    from cis.repository.reminders import DueReminders

    return DueReminders(client or dynamodb_client(), settings.table_name)


def churn_repository(client=None) -> ChurnRepository:
    from cis.repository.churn import ChurnRepository

    return ChurnRepository(client or dynamodb_client(), settings.table_name)


def notification_repository(client=None) -> NotificationRepository:
    from cis.repository.notifications import NotificationRepository

    return NotificationRepository(client or dynamodb_client(), settings.table_name)


class ClientAtFirstUse:
    """A boto3 client made when first used. Each client costs a cold start its service's model and
    endpoint rules; the notifier's SNS and SQS clients serve only some messages (an SMS, a deferral)."""

    def __init__(self, service: str, config: Config = _CONFIG):
        self._service, self._config = service, config
        self._client = None

    def __getattr__(self, name: str):
        if self._client is None:
            self._client = _client(self._service, self._config)
        return getattr(self._client, name)


def senders() -> dict[str, EmailSender | SmsSender]:
    from cis.repository.senders import EmailSender, SmsSender

    # Endpoints from AWS_ENDPOINT_URL_SESV2 / _SNS when set: moto locally, AWS otherwise.
    return {
        "email": EmailSender(_client("sesv2"), settings.sender_email),  # the default channel: made at init
        "sms": SmsSender(ClientAtFirstUse("sns")),
        "push": _push_sender(),
    }


def _push_sender():
    from cis.repository.push import PushSender

    return PushSender(ClientAtFirstUse("sns"))


def device_repository(client=None) -> DeviceRepository:
    from cis.repository.devices import DeviceRepository

    return DeviceRepository(client or dynamodb_client(), settings.table_name)


def push_endpoints() -> PushEndpoints:
    from cis.repository.push import PushEndpoints

    # Endpoint from AWS_ENDPOINT_URL_SNS when set: moto locally, AWS otherwise. Made at a device's registration.
    return PushEndpoints(ClientAtFirstUse("sns"), settings.push_applications)


def push_endpoint_deleter() -> Callable[[str], None]:
    """Erasure's: deletes a push endpoint, with an SNS client made at the first (few erasures meet a device)."""
    return lambda endpoint: push_endpoints().delete(endpoint)


def link_key(at_first_use: bool = False) -> LinkKey:
    """The KMS HMAC key of unsubscribe links (endpoint from AWS_ENDPOINT_URL_KMS when set). The notifier
    makes its client at first use: only marketing emails and reminders need it."""
    from cis.repository.unsubscribe import LinkKey

    return LinkKey(ClientAtFirstUse("kms") if at_first_use else _client("kms"), settings.unsubscribe_key_id)


def message_queue() -> MessageQueue:
    from cis.repository.queues import MessageQueue

    # Endpoint from AWS_ENDPOINT_URL_SQS when set: moto locally, AWS otherwise. Used by deferrals only.
    return MessageQueue(ClientAtFirstUse("sqs"))


def import_file_repository(client=None) -> ImportFileRepository:
    from cis.repository.import_files import ImportFileRepository

    return ImportFileRepository(client or dynamodb_client(), settings.table_name)


def upload_bucket() -> UploadBucket:
    import os

    from cis.repository.uploads import UploadBucket

    # Signature version 4, which objects encrypted with a KMS key require; path-style addresses where an
    # endpoint is set (moto locally), whose host takes no bucket name in front.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    path_style = {"s3": {"addressing_style": "path"}} if endpoint else {}
    config = _CONFIG.merge(Config(signature_version="s3v4", **path_style))
    # Made at first use: the API function that signs upload URLs serves other routes far more often.
    return UploadBucket(ClientAtFirstUse("s3", config), settings.upload_bucket)


def work_queue() -> WorkQueue:
    from cis.repository.uploads import WorkQueue

    # Endpoint from AWS_ENDPOINT_URL_SQS when set: moto locally, AWS otherwise. Made at first use: only
    # the worker's split of a file sends, not its import of a part.
    return WorkQueue(ClientAtFirstUse("sqs"), settings.import_queue_url)


def login_repository(client=None) -> LoginRepository:
    from cis.repository.logins import LoginRepository

    return LoginRepository(client or dynamodb_client(), settings.table_name)


def verification_repository(client=None) -> VerificationRepository:
    from cis.repository.verifications import VerificationRepository

    return VerificationRepository(client or dynamodb_client(), settings.table_name)


def code_senders() -> dict[str, EmailSender | SmsSender]:
    """Email and SMS senders whose clients are made at first use (a contact's code, rarely sent)."""
    from cis.repository.senders import EmailSender, SmsSender

    return {
        "email": EmailSender(ClientAtFirstUse("sesv2"), settings.sender_email),
        "sms": SmsSender(ClientAtFirstUse("sns")),
    }
