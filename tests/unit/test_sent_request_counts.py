"""When the table is not moto's, each of the runtime's processes counts the DynamoDB requests it sends
(cis_local.request_counter), as moto's server counts those it serves: every HTTP request to DynamoDB's
API, a retry included, and nothing of the streams API or another service."""

from __future__ import annotations

import contextlib

import boto3
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from cis_local.request_counter import COUNTS_FOLDER, count_sent_dynamodb_requests, sent_dynamodb_requests

NOWHERE = "http://127.0.0.1:9"  # nothing listens: every attempt fails at once


def _call(client, method: str, **kwargs) -> None:
    with contextlib.suppress(EndpointConnectionError):
        getattr(client, method)(**kwargs)


def test_every_dynamodb_request_sent_is_counted_retries_included(tmp_path, monkeypatch):
    monkeypatch.setenv(COUNTS_FOLDER, str(tmp_path))
    session = boto3.Session(region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    count_sent_dynamodb_requests(session)
    twice = Config(retries={"mode": "standard", "total_max_attempts": 2})
    dynamodb = session.client("dynamodb", endpoint_url=NOWHERE, config=twice)
    _call(dynamodb, "list_tables")
    _call(dynamodb, "get_item", TableName="t", Key={"pk": {"S": "a"}})
    _call(session.client("dynamodbstreams", endpoint_url=NOWHERE, config=twice), "list_streams")
    _call(session.client("sqs", endpoint_url=NOWHERE, config=twice), "list_queues")

    assert sent_dynamodb_requests(str(tmp_path)) == {"ListTables": 2, "GetItem": 2}


def test_nothing_is_counted_without_a_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(COUNTS_FOLDER, raising=False)
    session = boto3.Session(region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    count_sent_dynamodb_requests(session)
    _call(
        session.client("dynamodb", endpoint_url=NOWHERE, config=Config(retries={"total_max_attempts": 1})),
        "list_tables",
    )

    assert not list(tmp_path.iterdir())
