"""AWS's DynamoDB Local, for a second run of the repository and API suites: moto accepts some requests
that DynamoDB rejects. CIS_TEST_DYNAMODB=local switches it on (`make test` does, when java is on PATH);
the jar comes from the npm package amplify-dynamodb-simulator (package.json)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from cis.topology import TABLE
from cis_local.runtime import free_port
from cis_local.table import restore_in_process, table_definition

ROOT = Path(__file__).resolve().parents[1]
EMULATOR = ROOT / "node_modules" / "amplify-dynamodb-simulator" / "emulator"
JAVA = ["java", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar"]  # run in EMULATOR
STARTUP_S = 60
SWITCHED_ON = os.environ.get("CIS_TEST_DYNAMODB") == "local"


def _answers(endpoint: str) -> bool:
    quick = Config(connect_timeout=1, retries={"max_attempts": 1})
    client = boto3.client("dynamodb", endpoint_url=endpoint, config=quick)
    try:
        client.list_tables()
        return True
    except EndpointConnectionError:
        return False


def _ends_with_this_process() -> None:
    """The kernel stops the server if the test process dies before its teardown (killed, timed out)."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextmanager
def running() -> Iterator[str]:
    """DynamoDB Local in memory on a free port, until the block ends; yields its endpoint.
    -sharedDb: one database for every credential and region (tests, mock_aws and `cis run` use different ones)."""
    if not (EMULATOR / "DynamoDBLocal.jar").exists():
        raise RuntimeError(f"no DynamoDB Local at {EMULATOR}: run `make node_modules/.installed`")
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="dynamodb-local-", suffix=".log")  # noqa: SIM115 (held to the end)
    process = subprocess.Popen(
        [*JAVA, "-inMemory", "-sharedDb", "-disableTelemetry", "-port", str(port)],
        cwd=EMULATOR,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_ends_with_this_process if sys.platform == "linux" else None,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while not _answers(endpoint):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"DynamoDB Local did not start within {STARTUP_S} s:\n{log.read()}")
            time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def fresh_table(client, name: str) -> None:
    """The table, empty: a mock_aws is new each test, but DynamoDB Local keeps tables for the session.

    It is the table the runtime creates (cis_local.table) less its stream, which these suites never read:
    they hand changes to the change feed themselves (the `catch_up` fixture), and a stream changes no answer
    to a request. On DynamoDB Local a stream makes each write cost about four times the CPU, and the stream
    records it keeps for tables already deleted slow down the writes of every later table."""
    if name in client.list_tables().get("TableNames", []):
        client.delete_table(TableName=name)
        client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    definition = table_definition(name)
    del definition["StreamSpecification"]
    client.create_table(**definition)
    client.get_waiter("table_exists").wait(TableName=name)
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TABLE.ttl_attribute}
    )


def restore(client, name: str, items: Iterable[dict]) -> int:
    """Put a large generated table in place: straight into moto's in-process table (BatchWriteItem through
    moto takes minutes), or through BatchWriteItem into DynamoDB Local, which takes it in seconds."""
    return batch_write(client, name, items) if SWITCHED_ON else restore_in_process(client, name, items)


def batch_write(client, name: str, items: Iterable[dict]) -> int:
    """Put items with BatchWriteItem, a few requests at a time (DynamoDB Local answers one in ~50 ms),
    resending what DynamoDB left unprocessed."""
    requests = [{"PutRequest": {"Item": item}} for item in items]
    batches = [requests[start : start + 25] for start in range(0, len(requests), 25)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda batch: _write(client, name, batch), batches))
    return len(requests)


def _write(client, name: str, batch: list[dict]) -> None:
    pending = {name: batch}
    while pending:
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
