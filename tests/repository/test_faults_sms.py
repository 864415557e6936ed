"""A reminder by SMS whose SNS send fails: retried from the notifier's queue, then parked in its
dead-letter queue, never marked sent (as test_notifier_failures pins for SES email). The real handler,
queue, redrive and bus rule on moto; SNS fails through botocore's Stubber on the handler's own client."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from cis.domain.consent import ConsentIn
from cis.domain.customer import CustomerCreate
from cis.domain.subscriptions import SubscriptionFields, parse_lead_times
from cis.repository import keys
from cis.repository.bus import EventBus
from cis.repository.factory import (
    NOTIFIER_ATTEMPTS,
    consent_repository,
    subscription_repository,
    timeline_repository,
)
from cis.repository.reminders import DueReminders
from cis.service.consents import ConsentService
from cis.service.customers import CustomerService
from cis.service.reminders import RenewalReminderJob
from cis.service.subscriptions import SubscriptionService
from cis.topology import NOTIFIER
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from tests.repository.conftest import BUS, daytime_zone, drain, waiting
from tests.repository.faults import NO_BACKOFF, inject, json_error


@pytest.fixture
def due_by_sms(dynamodb, repository):
    """A customer with a phone and no email who agreed to SMS reminders; their renewal reminder is due today."""
    now = datetime.now(UTC)
    customer = CustomerService(repository).create(
        CustomerCreate(given_name="Ada", phones=[{"number": "+14155550100"}], time_zone=daytime_zone(now)),
        "staff:test",
    )
    ConsentService(consent_repository(dynamodb)).record(
        customer.id, "sms", "reminders", ConsentIn(status="granted", source="web-signup"), "staff:test"
    )
    subscriptions = SubscriptionService(subscription_repository(dynamodb), parse_lead_times({"*": [7]}))
    fields = SubscriptionFields(plan="gym", renews_at=(now + timedelta(days=7)).date(), price="9.90", currency="EUR")
    subscription = subscriptions.start(customer.id, fields, "staff:test")
    RenewalReminderJob(DueReminders(dynamodb, "cis-test"), EventBus(boto3.client("events"), BUS)).run(
        now.date(), None, lambda: True
    )
    return customer, subscription


def sent_sms(region: str) -> list:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.values())


@pytest.mark.parametrize(("code", "status"), [("Throttled", 429), ("InternalError", 500), ("KMSThrottling", 400)])
def test_a_failing_sms_is_retried_then_parked_in_the_dead_letter_queue_and_never_marked_sent(
    dynamodb, notifier_queue, due_by_sms, code, status
):
    module, driver, sqs, dead_letter_url = notifier_queue
    customer, subscription = due_by_sms
    sns = Stubber(module.notifier.senders["sms"].client)
    for _ in range(NOTIFIER.queue.max_receive_count):
        sns.add_client_error("publish", code, f"injected {code}", status)
    with sns:
        deliveries = drain(driver)
    sns.assert_no_pending_responses()  # every delivery tried to send, and each failed

    assert deliveries == NOTIFIER.queue.max_receive_count
    assert waiting(sqs, dead_letter_url) == 1
    assert sent_sms(dynamodb.meta.region_name) == []
    claim = keys.notification_key(subscription.id, subscription.renews_at.isoformat(), 7)
    assert "Item" not in dynamodb.get_item(TableName="cis-test", Key=claim)  # released after each failure
    assert timeline_repository(dynamodb).page(customer.id, "notification", 10, None).items == []


def test_an_sms_that_fails_once_is_sent_by_the_retry_and_only_once(dynamodb, notifier_queue, due_by_sms):
    module, driver, sqs, dead_letter_url = notifier_queue
    customer, _ = due_by_sms
    sns = Stubber(module.notifier.senders["sms"].client)
    sns.add_client_error("publish", "Throttled", "Rate exceeded", 429)
    with sns:
        driver.poll()  # fails once; the message stays on the queue

    assert drain(driver) == 1 and waiting(sqs, dead_letter_url) == 0
    assert [phone for phone, _ in sent_sms(dynamodb.meta.region_name)] == ["+14155550100"]
    [entry] = timeline_repository(dynamodb).page(customer.id, "notification", 10, None).items
    assert entry["status"] == "sent" and entry["channel"] == "sms"


# -- the record of a send: DynamoDB throttles after the SMS went out ------------------------------
def test_a_sent_sms_whose_record_is_throttled_a_while_is_still_recorded_and_not_sent_again(
    dynamodb, notifier_queue, due_by_sms, monkeypatch
):
    """Recording the send (claim -> sent, timeline entry) outlasts more throttling than an API call
    waits for: a lost record would leave the claim to lapse and the message to be sent again."""
    monkeypatch.setattr(*NO_BACKOFF)
    module, driver, sqs, dead_letter_url = notifier_queue
    customer, _ = due_by_sms
    with inject(module.client, "TransactWriteItems", json_error("ThrottlingException"), times=NOTIFIER_ATTEMPTS - 1):
        assert drain(driver) == 1  # handled in the first delivery

    assert waiting(sqs, dead_letter_url) == 0
    assert len(sent_sms(dynamodb.meta.region_name)) == 1
    [entry] = timeline_repository(dynamodb).page(customer.id, "notification", 10, None).items
    assert entry["status"] == "sent" and entry["channel"] == "sms"


def test_a_sent_sms_whose_record_cannot_be_written_is_parked_and_never_sent_twice_while_claimed(
    dynamodb, notifier_queue, due_by_sms, monkeypatch
):
    """If the record still fails, the claim stays (it is not released: the message went out), every
    redelivery meets it and the message ends in the dead-letter queue, sent once."""
    monkeypatch.setattr(*NO_BACKOFF)
    module, driver, sqs, dead_letter_url = notifier_queue
    _, subscription = due_by_sms
    with inject(module.client, "TransactWriteItems", json_error("ProvisionedThroughputExceededException")):
        assert drain(driver) == NOTIFIER.queue.max_receive_count

    assert waiting(sqs, dead_letter_url) == 1
    assert len(sent_sms(dynamodb.meta.region_name)) == 1
    claim = keys.notification_key(subscription.id, subscription.renews_at.isoformat(), 7)
    assert dynamodb.get_item(TableName="cis-test", Key=claim)["Item"]["status"]["S"] == "claimed"
