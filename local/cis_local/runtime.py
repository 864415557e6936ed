"""The embedded default: moto's server mode on loopback, the table, and the environment the
handlers read, so the real handlers run with no AWS account."""

from __future__ import annotations

import logging
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass

DEFAULT_REGION = "eu-west-1"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class Backend:
    dynamodb_endpoint: str
    table_name: str
    embedded: bool


def configure_environment(dynamodb_endpoint: str, table_name: str) -> None:
    """What Lambda's configuration would set, before any handler module is imported."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
    os.environ["TABLE_NAME"] = table_name
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "cis")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CIS")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


@contextmanager
def backend(host: str = "127.0.0.1"):
    """Start moto's server (unless CIS_DYNAMODB_ENDPOINT names another endpoint) and make the table."""
    import boto3

    from cis_local.table import ensure_table

    table_name = os.environ.get("TABLE_NAME", "cis-local")
    endpoint = os.environ.get("CIS_DYNAMODB_ENDPOINT")
    server = None
    if not endpoint:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines
        port = int(os.environ.get("CIS_MOTO_PORT") or free_port(host))
        server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        server.start()
        endpoint = f"http://{host}:{port}"
    configure_environment(endpoint, table_name)
    try:
        ensure_table(boto3.client("dynamodb", endpoint_url=endpoint), table_name)
        yield Backend(endpoint, table_name, embedded=server is not None)
    finally:
        if server is not None:
            server.stop()
