"""`cis run` itself: it stops cleanly on Ctrl-C and one setting points it at another DynamoDB."""

import os
import signal
import subprocess
import sys
import time

import boto3
import requests
from cis.topology import Role
from cis_local import tokens
from cis_local.runtime import free_port
from moto.server import ThreadedMotoServer

from .conftest import ROOT


def start(port: int, **env) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "cis_local.cli", "run", "--port", str(port), "--no-demo"],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/v1/openapi.json", timeout=1)
            return process
        except requests.ConnectionError:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.2)
    process.kill()
    raise AssertionError("cis run did not start")


def test_ctrl_c_stops_the_runtime_cleanly():
    process = start(free_port())
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "stopped" in output
    assert "Traceback" not in output


def test_cis_dynamodb_endpoint_points_the_runtime_at_another_dynamodb():
    other_port = free_port()
    other = ThreadedMotoServer(ip_address="127.0.0.1", port=other_port, verbose=False)
    other.start()
    endpoint = f"http://127.0.0.1:{other_port}"
    port = free_port()
    process = start(port, CIS_DYNAMODB_ENDPOINT=endpoint, TABLE_NAME="cis-elsewhere")
    try:
        created = requests.post(
            f"http://127.0.0.1:{port}/v1/customers",
            json={"given_name": "Elsewhere"},
            headers={"Authorization": f"Bearer {tokens.mint([Role.SALES])}"},
            timeout=10,
        )
        assert created.status_code == 201
        item = boto3.client("dynamodb", endpoint_url=endpoint).get_item(
            TableName="cis-elsewhere", Key={"PK": {"S": f"CUST#{created.json()['id']}"}, "SK": {"S": "PROFILE"}}
        )
        assert item["Item"]["given_name"] == {"S": "Elsewhere"}
        assert f"DynamoDB     {endpoint}" in _stop(process)
    finally:
        if process.poll() is None:
            process.kill()
        other.stop()


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=20)
    return output
