import boto3
import pytest
from cis.repository.factory import customer_repository
from cis_local.table import ensure_table
from moto import mock_aws


@pytest.fixture
def dynamodb():
    with mock_aws():
        client = boto3.client("dynamodb")
        ensure_table(client, "cis-test")
        yield client


@pytest.fixture
def repository(dynamodb):
    return customer_repository(dynamodb)


@pytest.fixture
def all_items(dynamodb):
    def scan() -> list[dict]:
        pages = dynamodb.get_paginator("scan").paginate(TableName="cis-test")
        return sorted((item for page in pages for item in page["Items"]), key=lambda i: (i["PK"]["S"], i["SK"]["S"]))

    return scan
