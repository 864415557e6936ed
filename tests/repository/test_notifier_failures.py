"""A reminder whose send fails, by email (SES) or SMS (SNS): retried from the notifier's queue, then parked
in its dead-letter queue, and never marked sent. The real handler, queue, redrive and bus rule, on moto;
the sender fails through botocore's Stubber on the handler's own client."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from cis.domain.consent import ConsentIn
from cis.domain.customer import CustomerCreate
from cis.domain.subscriptions import SubscriptionFields, parse_lead_times
from cis.repository import keys
from cis.repository.bus import EventBus
from cis.repository.factory import consent_repository, subscription_repository, timeline_repository
from cis.repository.reminders import DueReminders
from cis.service.consents import ConsentService
from cis.service.customers import CustomerService
from cis.service.reminders import RenewalReminderJob
from cis.service.subscriptions import SubscriptionService
from cis.topology import NOTIFIER
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from tests.repository.conftest import BUS, daytime_zone, drain, sent_emails, waiting

CONTACT = {"email": {"emails": [{"address": "ada@example.com"}]}, "sms": {"phones": [{"number": "+14155550100"}]}}


def reminder_due_today(dynamodb, repository, channel: str):
    """A customer reachable only on `channel`, who agreed to reminders there, whose subscription renews
    in a week: the reminder is due today and on the notifier's queue."""
    now = datetime.now(UTC)
    customer = CustomerService(repository).create(
        CustomerCreate(given_name="Ada", time_zone=daytime_zone(now), **CONTACT[channel]), "staff:test"
    )
    ConsentService(consent_repository(dynamodb)).record(
        customer.id, channel, "reminders", ConsentIn(status="granted", source="web-signup"), "staff:test"
    )
    subscriptions = SubscriptionService(subscription_repository(dynamodb), parse_lead_times({"*": [7]}))
    fields = SubscriptionFields(plan="gym", renews_at=(now + timedelta(days=7)).date(), price="9.90", currency="EUR")
    subscription = subscriptions.start(customer.id, fields, "staff:test")
    RenewalReminderJob(DueReminders(dynamodb, "cis-test"), EventBus(boto3.client("events"), BUS)).run(
        now.date(), None, lambda: True
    )
    return customer, subscription


def sent(channel: str, region: str) -> list:
    """What moto's SES or SNS delivered."""
    if channel == "email":
        return sent_emails(region)
    return list(sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.values())


# (channel, the sender's operation, error code, HTTP status)
FAILURES = [
    ("email", "send_email", "TooManyRequestsException", 429),
    ("sms", "publish", "Throttled", 429),
    ("sms", "publish", "InternalError", 500),
    ("sms", "publish", "KMSThrottling", 400),
]


@pytest.mark.parametrize(("channel", "operation", "code", "status"), FAILURES)
def test_a_failing_send_is_retried_then_parked_in_the_dead_letter_queue_and_never_marked_sent(
    dynamodb, repository, notifier_queue, channel, operation, code, status
):
    customer, subscription = reminder_due_today(dynamodb, repository, channel)
    module, driver, sqs, dead_letter_url = notifier_queue
    sender = Stubber(module.notifier.senders[channel].client)
    for _ in range(NOTIFIER.queue.max_receive_count):
        sender.add_client_error(operation, code, f"injected {code}", status)
    with sender:
        deliveries = drain(driver)
    sender.assert_no_pending_responses()  # every delivery tried to send, and each failed

    assert deliveries == NOTIFIER.queue.max_receive_count
    assert waiting(sqs, dead_letter_url) == 1
    assert sent(channel, dynamodb.meta.region_name) == []
    claim = keys.notification_key(subscription.id, subscription.renews_at.isoformat(), 7)
    assert "Item" not in dynamodb.get_item(TableName="cis-test", Key=claim)  # released after each failure
    assert timeline_repository(dynamodb).page(customer.id, "notification", 10, None).items == []


@pytest.mark.parametrize(("channel", "operation", "code", "status"), FAILURES[:2])
def test_a_send_that_fails_once_is_sent_by_the_retry_and_only_once(
    dynamodb, repository, notifier_queue, channel, operation, code, status
):
    customer, _ = reminder_due_today(dynamodb, repository, channel)
    module, driver, sqs, dead_letter_url = notifier_queue
    sender = Stubber(module.notifier.senders[channel].client)
    sender.add_client_error(operation, code, f"injected {code}", status)
    with sender:
        driver.poll()  # fails once; the message stays on the queue

    assert drain(driver) == 1 and waiting(sqs, dead_letter_url) == 0
    assert len(sent(channel, dynamodb.meta.region_name)) == 1
    if channel == "sms":  # to the customer's number, as stored (E.164)
        assert [phone for phone, _ in sent(channel, dynamodb.meta.region_name)] == ["+14155550100"]
    [entry] = timeline_repository(dynamodb).page(customer.id, "notification", 10, None).items
    assert entry["status"] == "sent" and entry["channel"] == channel
