"""Test-wide settings. The environment is set before any `cis` module reads it at import."""

import logging
import os
import sys
from pathlib import Path

import pytest

from tests import pii

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
        # Unsubscribe links: the tests' KMS HMAC key is made in moto under this alias (tests.repository).
        "CIS_PUBLIC_API_URL": "https://api.cis.test",
        "CIS_UNSUBSCRIBE_KEY_ID": "alias/cis-test-unsubscribe",
    }
)
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(name, None)


# Every log line of the run, in-process and from each `cis run` the API tests start, lands in
# pii.RUN_LOGS too; at the end the run fails if any of it holds an email address or a test phone number.
RUN_LOGS = pii.RUN_LOGS


class RunLog(logging.StreamHandler):
    """Powertools' handler in the test process: each line to stdout, as in Lambda, and to the run log."""

    def __init__(self, path: Path):
        super().__init__()
        self.file = path.open("a", encoding="utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout  # whatever pytest captures at the moment
        super().emit(record)
        self.file.write(self.format(record) + "\n")
        self.file.flush()


def pytest_configure(config):
    from aws_lambda_powertools import Logger  # after the environment above

    # The first Logger for the service owns the handler; every handler module's Logger() reuses it.
    Logger(service=os.environ["POWERTOOLS_SERVICE_NAME"], logger_handler=RunLog(RUN_LOGS / "in-process.log"))


def pytest_sessionfinish(session, exitstatus):
    found = pii.search_logs(RUN_LOGS, pii.test_phone_numbers())
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = sum(1 for log in RUN_LOGS.glob("*.log") for _ in log.open(encoding="utf-8", errors="replace"))
    if reporter:
        reporter.write_line(f"PII in logs: {len(found)} lines of {lines} logged ({RUN_LOGS})")
    if found:
        for where, line in found[:20]:
            reporter.write_line(f"  {where}: {line[:300]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


from tests import dynamodb_local as dynamodb_local_module  # noqa: E402 (after the environment is set)


@pytest.fixture(scope="session")
def dynamodb_local():
    """DynamoDB Local's endpoint for the session when CIS_TEST_DYNAMODB=local, else None (moto's mock)."""
    if not dynamodb_local_module.SWITCHED_ON:
        yield None
        return
    with dynamodb_local_module.running() as endpoint:
        yield endpoint
