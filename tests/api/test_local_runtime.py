"""`cis run` itself: it stops cleanly on Ctrl-C, one setting points it at another DynamoDB, and its moto
server keeps connections alive."""

import http.client
import json

import boto3
import requests
from cis.topology import Role
from cis_local import tokens
from cis_local.runtime import AtomicMotoServer, free_port
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


def test_the_runtimes_moto_server_answers_many_requests_on_one_connection():
    server = AtomicMotoServer("127.0.0.1", free_port())
    server.start()
    try:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        scope = "local/20260101/eu-west-1/dynamodb/aws4_request"
        headers = {
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0",
        }
        sockets = set()
        for _ in range(3):
            connection.request("POST", "/", body="{}", headers=headers)
            answer = connection.getresponse()
            assert answer.status == 200
            assert json.loads(answer.read()) == {"TableNames": []}
            assert not answer.will_close  # HTTP/1.1, kept alive: werkzeug's own server closes every time
            sockets.add(id(connection.sock))
        assert len(sockets) == 1
        # And botocore, which every handler and the stream pump use, keeps to one connection too.
        client = boto3.client("sqs", endpoint_url=server.endpoint)
        for _ in range(3):
            client.list_queues()
        pool = client._endpoint.http_session._manager.connection_from_url(server.endpoint)
        assert pool.num_connections == 1
    finally:
        server.stop()
