"""A reminder by SMS whose record DynamoDB throttles after the SMS went out: recorded all the same, or
parked and never sent twice. (A failing SNS send itself is in test_notifier_failures, beside SES.)"""

import pytest
from cis.repository import keys
from cis.repository.factory import (
    NOTIFIER_ATTEMPTS,
    timeline_repository,
)
from cis.topology import NOTIFIER

from tests.repository.conftest import drain, waiting
from tests.repository.faults import NO_BACKOFF, inject, json_error
from tests.repository.test_notifier_failures import reminder_due_today, sent


@pytest.fixture
def due_by_sms(dynamodb, repository):
    """A customer with a phone and no email who agreed to SMS reminders; their renewal reminder is due today."""
    return reminder_due_today(dynamodb, repository, "sms")


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
    assert len(sent("sms", dynamodb.meta.region_name)) == 1
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
    assert len(sent("sms", dynamodb.meta.region_name)) == 1
    claim = keys.notification_key(subscription.id, subscription.renews_at.isoformat(), 7)
    assert dynamodb.get_item(TableName="cis-test", Key=claim)["Item"]["status"]["S"] == "claimed"
