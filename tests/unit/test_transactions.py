"""A cancelled TransactWriteItems answers by the names its caller gave the actions (no AWS)."""

import pytest
from botocore.exceptions import ClientError
from cis.repository.transactions import TransactionCancelled, throttled, transact


def cancellation(*reasons: dict) -> ClientError:
    response = {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": list(reasons)}
    return ClientError(response, "TransactWriteItems")


class Client:
    def __init__(self, error: ClientError | None = None):
        self.error, self.sent = error, None

    def transact_write_items(self, TransactItems):
        self.sent = TransactItems
        if self.error:
            raise self.error


STORED = {"customer_id": {"S": "01OWNER"}}


def cancelled(*reasons: dict, names=("profile", "lookup", "tag")) -> TransactionCancelled:
    with pytest.raises(TransactionCancelled) as caught:
        transact(Client(cancellation(*reasons)), [(name, {"Put": {}}) for name in names])
    return caught.value


def test_the_actions_are_sent_in_order_without_their_names():
    client = Client()
    transact(client, [("profile", {"Put": {"n": 1}}), ("lookup", {"Put": {"n": 2}})])
    assert client.sent == [{"Put": {"n": 1}}, {"Put": {"n": 2}}]


def test_a_failed_condition_is_named_with_the_item_the_engine_returned():
    refused = cancelled({"Code": "None"}, {"Code": "ConditionalCheckFailed", "Item": STORED}, {"Code": "None"})
    assert refused.failed("profile") is None
    assert refused.failed("lookup").item == STORED
    assert not refused.lost_race and not refused.throttled


def test_a_lost_race_and_throttling_are_told_apart_from_a_failed_condition():
    raced = cancelled({"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"})
    assert raced.lost_race and not raced.throttled and raced.failed("profile") is None
    slowed = cancelled({"Code": "None"}, {"Code": "ThrottlingError"}, {"Code": "None"})
    assert slowed.throttled and not slowed.lost_race
    assert throttled(slowed)  # still the ClientError it was: the API's backpressure reads it as before


def test_other_errors_pass_through_unchanged():
    error = ClientError({"Error": {"Code": "ValidationException"}}, "TransactWriteItems")
    with pytest.raises(ClientError) as caught:
        transact(Client(error), [("profile", {"Put": {}})])
    assert caught.value is error


def test_reasons_past_the_named_actions_still_count():
    assert cancelled({"Code": "None"}, {"Code": "ProvisionedThroughputExceeded"}, names=("profile",)).throttled
