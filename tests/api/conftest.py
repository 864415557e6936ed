"""The API suite talks real HTTP to `cis run`, started here as a user would start it."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from cis.topology import Role
from cis_local import tokens
from cis_local.runtime import free_port

from tests.pii import RUN_LOGS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def runtimes_on_dynamodb_local(dynamodb_local):
    """With CIS_TEST_DYNAMODB=local, every `cis run` keeps its table (and so reads its stream) in DynamoDB Local."""
    if dynamodb_local:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CIS_DYNAMODB_ENDPOINT", dynamodb_local)
            yield
    else:
        yield


def start_runtime(port: int, *args: str, **env: str) -> subprocess.Popen:
    """`cis run` in a subprocess, as a user starts it; returns once it answers HTTP."""
    runtime_file = Path(tempfile.gettempdir()) / f"cis-runtime-{port}.json"
    # Runtimes share a DynamoDB Local: each gets a table of its own (with moto, each has its own moto).
    table = {"TABLE_NAME": f"cis-test-{port}"} if os.environ.get("CIS_DYNAMODB_ENDPOINT") else {}
    # Its output goes to the run's logs (searched for personal data at the end), not to a pipe that
    # a busy runtime would fill and then block on.
    log = RUN_LOGS / f"cis-run-{port}.log"
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "cis_local.cli", "run", "--port", str(port), *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "CIS_RUNTIME_FILE": str(runtime_file), **table, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    process.log = log
    process.runtime_file = str(runtime_file)  # `cis` commands reach this runtime through it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            # The first request starts a container process: give it time to import its handler.
            requests.get(f"http://127.0.0.1:{port}/v1/openapi.json", timeout=10)
            process.runtime = json.loads(runtime_file.read_text())  # where its bus's events can be read
            return process
        except (requests.ConnectionError, requests.Timeout):
            if process.poll() is not None:
                pytest.fail(f"cis run exited early:\n{log.read_text(encoding='utf-8')}")
            time.sleep(0.2)
    process.kill()
    pytest.fail("cis run did not start within 60 s")


def stop_runtime(process: subprocess.Popen) -> str:
    """Ctrl-C, as a user stops it; returns everything it printed."""
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)
    return process.log.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def local_api():
    port = free_port()
    process = start_runtime(port)
    api = {"url": f"http://127.0.0.1:{port}", "process": process, "runtime": process.runtime}
    yield type("LocalApi", (), api | {"runtime_file": process.runtime_file})
    if process.poll() is None:
        stop_runtime(process)


def empty_runtime():
    """Another `cis run`, without demo data, for tests that must not share a stream backlog."""
    port = free_port()
    process = start_runtime(port, "--no-demo")
    yield type("EmptyApi", (), {"url": f"http://127.0.0.1:{port}", "runtime": process.runtime})
    stop_runtime(process)


@pytest.fixture(scope="session")
def quiet_api():
    """A runtime for tests that wait on the stream: the main one has a backlog from every other test."""
    yield from empty_runtime()


@pytest.fixture(scope="session")
def bulk_api():
    """A runtime for imports: their hundreds of stream records would hold up the quiet runtime's event tests."""
    yield from empty_runtime()


@pytest.fixture(scope="session")
def bus_events(quiet_api):
    """Events that reached the quiet runtime's bus queue so far, read the way `cis events` reads them
    (kept for the whole session: a message read while waiting for one test's events is not lost to another)."""
    sqs = boto3.client("sqs", endpoint_url=quiet_api.runtime["aws_endpoint"])
    queue, seen = quiet_api.runtime["events_queue_url"], []

    def read(customer_id: str, want: int, timeout_s: float = 90) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            # Short polls and a pause, never a long poll: the runtime's moto server applies one request at
            # a time, so a waiting receive would hold up the very stream processor that publishes the events.
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            for message in messages:
                seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            mine = [e for e in seen if e["detail"]["customer_id"] == customer_id]
            if len(mine) >= want:
                return mine
            if not messages:
                time.sleep(0.1)
        return [e for e in seen if e["detail"]["customer_id"] == customer_id]

    return read


class Client:
    """A requests session for one role, against the local API."""

    def __init__(self, base: str, roles: list[Role] | None):
        self.base = base
        self.session = requests.Session()
        if roles is not None:
            self.session.headers["Authorization"] = f"Bearer {tokens.mint(roles)}"

    def __getattr__(self, method):
        def call(path: str, **kwargs):
            return self.session.request(method.upper(), self.base + path, timeout=30, **kwargs)

        return call


@pytest.fixture
def as_role(local_api):
    return lambda *roles: Client(local_api.url, list(roles))


@pytest.fixture
def anonymous(local_api):
    return Client(local_api.url, None)


@pytest.fixture
def unique():
    """A fresh suffix, so tests sharing the running API never collide on unique keys."""
    return uuid.uuid4().hex[:10]
