"""`cis run` itself: it stops cleanly on Ctrl-C and one setting points it at another DynamoDB."""

import boto3
import requests
from cis.topology import Role
from cis_local import tokens
from cis_local.runtime import free_port
from moto.server import ThreadedMotoServer

from .conftest import start_runtime, stop_runtime


def test_ctrl_c_stops_the_runtime_cleanly():
    process = start_runtime(free_port(), "--no-demo")
    output = stop_runtime(process)
    assert process.returncode == 0, output
    assert "stopped" in output
    assert "Traceback" not in output


def test_cis_dynamodb_endpoint_points_the_runtime_at_another_dynamodb():
    other_port = free_port()
    other = ThreadedMotoServer(ip_address="127.0.0.1", port=other_port, verbose=False)
    other.start()
    endpoint = f"http://127.0.0.1:{other_port}"
    port = free_port()
    process = start_runtime(port, "--no-demo", CIS_DYNAMODB_ENDPOINT=endpoint, TABLE_NAME="cis-elsewhere")
    try:
        created = requests.post(
            f"http://127.0.0.1:{port}/v1/customers",
            json={"given_name": "Elsewhere"},
            headers={"Authorization": f"Bearer {tokens.mint([Role.SALES])}"},
            timeout=10,
        )
        assert created.status_code == 201
        item = boto3.client("dynamodb", endpoint_url=endpoint).get_item(
            TableName="cis-elsewhere", Key={"PK": {"S": f"CUST#{created.json()['id']}"}, "SK": {"S": "V#PROFILE"}}
        )
        assert item["Item"]["given_name"] == {"S": "Elsewhere"}
        assert f"DynamoDB     {endpoint}" in stop_runtime(process)
    finally:
        if process.poll() is None:
            process.kill()
        other.stop()
