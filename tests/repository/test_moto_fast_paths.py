"""The local runtime's faster moto answers exactly what moto answers: stream records written with
json.dumps against moto's model-driven serializer, update expressions parsed once and walked
directly against moto's own walk. No timings: what is pinned is the behaviour.

These run on moto in this process whatever CIS_TEST_DYNAMODB says: they are about moto."""

import json
from decimal import Decimal

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cis_local import moto_fixes
from cis_local.table import ensure_table
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodbstreams.models import dynamodbstreams_backends

TABLE = "cis-moto"
KEY = {"PK": {"S": "CUST#1"}, "SK": {"S": "V#PROFILE"}}

# Every attribute type, nesting, the empty containers and text outside ASCII.
PROFILE = KEY | {
    "entity": {"S": "customer"},
    "given_name": {"S": "Zoë ✓"},
    "version": {"N": "1"},
    "big": {"N": "12345678901234567890.125"},
    "active": {"BOOL": True},
    "nothing": {"NULL": True},
    "emails": {"L": [{"M": {"address": {"S": "ada@example.com"}, "verified": {"BOOL": False}}}]},
    "engagement": {"M": {"orders_count": {"N": "3"}, "lifetime_value": {"M": {"EUR": {"N": "12.50"}}}}},
    "tags": {"SS": ["gold", "newsletter"]},
    "scores": {"NS": ["1", "2.5"]},
    "blob": {"B": b"\x00\x01binary"},
    "blobs": {"BS": [b"x", b"\xff"]},
    "empty_list": {"L": []},
    "empty_map": {"M": {}},
}


@pytest.fixture
def moto_table():
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        ensure_table(dynamodb, TABLE)  # the runtime's own table: a NEW_AND_OLD_IMAGES stream
        # botocore would send a stream ARN's calls to an account endpoint that moto's mock does not know.
        streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
        yield dynamodb, streams


def write_every_kind_of_record(dynamodb) -> None:
    dynamodb.put_item(TableName=TABLE, Item=PROFILE)  # INSERT: NewImage only
    dynamodb.update_item(  # MODIFY: both images
        TableName=TABLE,
        Key=KEY,
        UpdateExpression="SET version = version + :one, engagement.orders_count = :four REMOVE nothing",
        ExpressionAttributeValues={":one": {"N": "1"}, ":four": {"N": "4"}},
    )
    other = {"PK": {"S": "CUST#2"}, "SK": {"S": "V#E#01"}, "entity": {"S": "interaction"}}
    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": other}}])
    dynamodb.delete_item(TableName=TABLE, Key=KEY)  # REMOVE: OldImage only


def read_stream(streams, dynamodb, limit: int) -> tuple[list[dict], list[dict]]:
    """Every record, `limit` at a time: the raw JSON bodies moto sent and what botocore made of them."""
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    bodies: list[dict] = []

    def keep(response_dict, **_):
        bodies.append(json.loads(response_dict["body"]))

    streams.meta.events.register("before-parse.*.GetRecords", keep)
    try:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        iterator, parsed = iterator["ShardIterator"], []
        while True:
            page = streams.get_records(ShardIterator=iterator, Limit=limit)
            parsed += page["Records"]
            iterator = page["NextShardIterator"]
            if not page["Records"]:
                break
    finally:
        streams.meta.events.unregister("before-parse.*.GetRecords", keep)
    for body in bodies:
        body.pop("NextShardIterator")  # a new random one on every call
    return bodies, parsed


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_get_records_answers_what_motos_serializer_wrote(moto_table, limit):
    dynamodb, streams = moto_table
    write_every_kind_of_record(dynamodb)
    by_moto = read_stream(streams, dynamodb, limit)
    with moto_fixes.installed():
        fast = read_stream(streams, dynamodb, limit)
    assert fast == by_moto
    bodies, records = fast
    assert [record["eventName"] for record in records] == ["INSERT", "MODIFY", "INSERT", "REMOVE"]
    insert, modify, _, remove = (record["dynamodb"] for record in records)
    assert "OldImage" not in insert and "NewImage" not in remove
    assert insert["NewImage"] == modify["OldImage"] | {"nothing": {"NULL": True}} | {"version": {"N": "1"}}
    assert modify["NewImage"]["version"] == {"N": "2"} and "nothing" not in modify["NewImage"]
    assert remove["OldImage"]["blob"] == {"B": b"\x00\x01binary"}  # decoded again from base64 by botocore
    assert remove["OldImage"]["blobs"] == {"BS": [b"x", b"\xff"]}
    raw = next(record for body in bodies for record in body["Records"])
    assert isinstance(raw["dynamodb"]["ApproximateCreationDateTime"], int | float)  # epoch seconds


def test_moto_keeps_only_the_newest_shard_iterators(moto_table, monkeypatch):
    dynamodb, streams = moto_table
    dynamodb.put_item(TableName=TABLE, Item=KEY)
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    monkeypatch.setattr(moto_fixes, "_ITERATORS_KEPT", 5)
    with moto_fixes.installed():
        iterators = [
            streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            for _ in range(20)
        ]
        assert len(dynamodbstreams_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].shard_iterators) <= 5
        assert len(streams.get_records(ShardIterator=iterators[-1])["Records"]) == 1


# (update expression, its names, its values): what the repositories write...
UPDATES = [
    (
        "SET #e.#c = if_not_exists(#e.#c, :zero) + :one, #e.#v.#eur = if_not_exists(#e.#v.#eur, :zero) + :amount,"
        " #e.#t = :at, version = version + :one",
        {"#e": "engagement", "#c": "orders_count", "#v": "lifetime_value", "#eur": "EUR", "#t": "last_order_at"},
        {":zero": {"N": "0"}, ":one": {"N": "1"}, ":amount": {"N": "9.99"}, ":at": {"S": "2026-11-30T10:00:00Z"}},
    ),
    ("ADD tags :tag, scores :n", None, {":tag": {"SS": ["vip"]}, ":n": {"NS": ["7"]}}),
    ("DELETE tags :tag", None, {":tag": {"SS": ["gold"]}}),
    ("SET emails = list_append(emails, :more) REMOVE active, nothing", None, {":more": {"L": [{"S": "b@x.org"}]}}),
    ("SET emails[0].verified = :yes, #n = :name", {"#n": "given_name"}, {":yes": {"BOOL": True}, ":name": {"S": "A"}}),
    ("REMOVE emails[0], empty_list", None, None),
]
# ...and what moto refuses (through UpdateItem: a transaction's own errors are moto_fixes' transaction's).
REFUSED = [
    ("SET version = version + :one SET given_name = :name", None, {":one": {"N": "1"}, ":name": {"S": "B"}}),
    ("SET version = :one REMOVE version", None, {":one": {"N": "1"}}),
    ("SET missing.deeper = :one", None, {":one": {"N": "1"}}),
    ("SET version = :undeclared", None, None),
    ("SET tags = tags + :one", None, {":one": {"N": "1"}}),
    ("SET PK = :other", None, {":other": {"S": "CUST#9"}}),
]


def apply_updates(dynamodb) -> list:
    """Each update by itself, and the valid ones in a transaction too; then all again (parsed before by then)."""
    dynamodb.put_item(TableName=TABLE, Item=PROFILE)
    outcomes = []
    for _ in range(2):
        for expression, names, values in UPDATES + REFUSED:
            extra = ({"ExpressionAttributeNames": names} if names else {}) | (
                {"ExpressionAttributeValues": values} if values else {}
            )
            update = {"TableName": TABLE, "Key": KEY, "UpdateExpression": expression, **extra}
            ways = ["UpdateItem", "TransactWriteItems"] if (expression, names, values) in UPDATES else ["UpdateItem"]
            for way in ways:
                try:
                    if way == "UpdateItem":
                        outcomes.append(("ok", dynamodb.update_item(**update, ReturnValues="ALL_NEW")["Attributes"]))
                    else:
                        dynamodb.transact_write_items(TransactItems=[{"Update": update}])
                        outcomes.append(("ok", None))
                except ClientError as refused:
                    error = refused.response["Error"]
                    outcomes.append(("refused", error["Code"], error["Message"]))
                outcomes.append(("item", dynamodb.get_item(TableName=TABLE, Key=KEY)["Item"]))
    return outcomes


def test_update_expressions_do_what_moto_does():
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        ensure_table(dynamodb, TABLE)
        by_moto = apply_updates(dynamodb)
    with mock_aws(), moto_fixes.installed():
        dynamodb = boto3.client("dynamodb")
        ensure_table(dynamodb, TABLE)
        fast = apply_updates(dynamodb)
    assert fast == by_moto
    refused = [outcome for outcome in fast if outcome[0] == "refused"]
    assert len(refused) == 2 * len(REFUSED)  # every one, both rounds, and no other
    euros = by_moto[-1][1]["engagement"]["M"]["lifetime_value"]["M"]["EUR"]["N"]
    assert Decimal(euros) == Decimal("12.50") + 4 * Decimal("9.99")  # each time, each way
