"""A reminder whose send fails: retried from the notifier's queue, then parked in its dead-letter queue,
and never marked sent. The real handler, queue, redrive and bus rule, on moto; SES fails by stub."""

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

from tests.repository.conftest import BUS, daytime_zone, drain, sent_emails, waiting


@pytest.fixture
def due_today(dynamodb, repository):
    """A customer who agreed to email reminders, whose subscription renews in a week: due today."""
    now = datetime.now(UTC)
    customer = CustomerService(repository).create(
        CustomerCreate(given_name="Ada", emails=[{"address": "ada@example.com"}], time_zone=daytime_zone(now)),
        "staff:test",
    )
    ConsentService(consent_repository(dynamodb)).record(
        customer.id, "email", "reminders", ConsentIn(status="granted", source="web-signup"), "staff:test"
    )
    subscriptions = SubscriptionService(subscription_repository(dynamodb), parse_lead_times({"*": [7]}))
    fields = SubscriptionFields(plan="gym", renews_at=(now + timedelta(days=7)).date(), price="9.90", currency="EUR")
    subscription = subscriptions.start(customer.id, fields, "staff:test")
    RenewalReminderJob(DueReminders(dynamodb, "cis-test"), EventBus(boto3.client("events"), BUS)).run(
        now.date(), None, lambda: True
    )
    return customer, subscription


def test_a_failing_send_is_retried_then_parked_in_the_dead_letter_queue_and_never_marked_sent(
    dynamodb, notifier_queue, due_today
):
    module, driver, sqs, dead_letter_url = notifier_queue
    customer, subscription = due_today
    ses = Stubber(module.notifier.senders["email"].client)
    for _ in range(NOTIFIER.queue.max_receive_count):
        ses.add_client_error("send_email", "TooManyRequestsException", "Maximum sending rate exceeded.", 429)
    with ses:
        deliveries = drain(driver)
    ses.assert_no_pending_responses()  # every delivery tried to send, and each failed

    assert deliveries == NOTIFIER.queue.max_receive_count
    assert waiting(sqs, dead_letter_url) == 1
    assert sent_emails(dynamodb.meta.region_name) == []
    claim = keys.notification_key(subscription.id, subscription.renews_at.isoformat(), 7)
    assert "Item" not in dynamodb.get_item(TableName="cis-test", Key=claim)  # released after each failure
    assert timeline_repository(dynamodb).page(customer.id, "notification", 10, None).items == []


def test_a_send_that_fails_once_is_sent_by_the_retry_and_only_once(dynamodb, notifier_queue, due_today):
    module, driver, sqs, dead_letter_url = notifier_queue
    customer, _ = due_today
    ses = Stubber(module.notifier.senders["email"].client)
    ses.add_client_error("send_email", "TooManyRequestsException", "Maximum sending rate exceeded.", 429)
    with ses:
        driver.poll()  # fails once; the message stays on the queue

    assert drain(driver) == 1 and waiting(sqs, dead_letter_url) == 0
    assert len(sent_emails(dynamodb.meta.region_name)) == 1
    [entry] = timeline_repository(dynamodb).page(customer.id, "notification", 10, None).items
    assert entry["status"] == "sent" and entry["channel"] == "email"
