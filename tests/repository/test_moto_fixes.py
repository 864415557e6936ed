"""The local runtime's check-then-apply transaction behaves like DynamoDB's (and like moto's, only faster)."""

import pytest
from botocore.exceptions import ClientError
from cis_local import moto_fixes
from moto.dynamodb.models import DynamoDBBackend


@pytest.fixture
def fixed(monkeypatch, dynamodb):
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", moto_fixes.transact_write_items)
    return dynamodb


def put(key: str, **extra) -> dict:
    item = {"PK": {"S": key}, "SK": {"S": "X"}, **extra}
    return {"Put": {"TableName": "cis-test", "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}


def test_a_failed_condition_writes_nothing_and_names_the_item_that_failed(fixed, all_items):
    fixed.transact_write_items(TransactItems=[put("a", v={"S": "1"})])
    before = all_items()
    with pytest.raises(ClientError) as cancelled:
        fixed.transact_write_items(TransactItems=[put("b"), put("a")])
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert all_items() == before


def test_conditions_see_the_state_before_the_transaction_and_all_writes_apply(fixed, all_items):
    update = {
        "Update": {
            "TableName": "cis-test",
            "Key": {"PK": {"S": "c"}, "SK": {"S": "X"}},
            "UpdateExpression": "SET n = :one",
            "ConditionExpression": "attribute_not_exists(PK)",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    fixed.transact_write_items(TransactItems=[put("a"), put("b"), update])
    assert [item["PK"]["S"] for item in all_items()] == ["a", "b", "c"]


def test_the_same_item_twice_is_refused(fixed):
    twice = {"Put": {"TableName": "cis-test", "Item": {"PK": {"S": "a"}, "SK": {"S": "X"}}}}
    with pytest.raises(ClientError) as refused:
        # Unconditional: DynamoDB Local checks conditions first, and cancels the transaction on the second.
        fixed.transact_write_items(TransactItems=[twice, twice])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "multiple operations on one item" in refused.value.response["Error"]["Message"]


def test_a_send_to_a_standard_queue_does_not_count_its_messages_and_its_attributes_still_do(fixed, monkeypatch):
    import boto3
    from moto.sqs.models import Queue

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="cis-test-fix-events")["QueueUrl"]
    fifo = sqs.create_queue(
        QueueName="cis-test-fix.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    counted = []
    counting = Queue.approximate_number_of_messages
    monkeypatch.setattr(
        Queue, "approximate_number_of_messages", property(lambda q: counted.append(q) or counting.fget(q))
    )
    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"event {n}")
    assert counted == []  # each send used to count the whole queue: quadratic in a growing queue
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "5"
    for _ in range(2):  # content-based deduplication still reads the FIFO queue's setting
        sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    received = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 1
