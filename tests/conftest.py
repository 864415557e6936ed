"""Test-wide settings. The environment is set before any `cis` module reads it at import."""

import os

import pytest

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_NAME": "cis-test",
        "CIS_DEFAULT_PHONE_REGION": "US",
        "CIS_DEV_TOKEN_SECRET": "tests-only-secret-0123456789abcdef0123456789",
        "POWERTOOLS_SERVICE_NAME": "cis",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "CIS",
    }
)
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(name, None)

from tests import dynamodb_local as dynamodb_local_module  # noqa: E402 (after the environment is set)


@pytest.fixture(scope="session")
def dynamodb_local():
    """DynamoDB Local's endpoint for the session when CIS_TEST_DYNAMODB=local, else None (moto's mock)."""
    if not dynamodb_local_module.SWITCHED_ON:
        yield None
        return
    with dynamodb_local_module.running() as endpoint:
        yield endpoint
