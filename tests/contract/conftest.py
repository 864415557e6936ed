"""The contract suite: clients generated from the committed OpenAPI document by independent
generators, driving a real `cis run` with nothing hand-written between them and the API."""

import uuid
from pathlib import Path

import pytest
from cis.topology import Role
from cis_local import tokens
from cis_local.runtime import free_port

from tests.api.conftest import start_runtime, stop_runtime

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "functions" / "api_docs" / "openapi.json"  # the one web and mobile teams generate clients from


@pytest.fixture(scope="session")
def contract_api():
    """A `cis run` of the suite's own, without demo data, so that no other test's records interfere."""
    port = free_port()
    process = start_runtime(port, "--no-demo")
    api = {"url": f"http://127.0.0.1:{port}", "runtime": process.runtime, "runtime_file": process.runtime_file}
    yield type("ContractApi", (), api)
    if process.poll() is None:
        stop_runtime(process)


@pytest.fixture(scope="session")
def support_token() -> str:
    """A development token for support, who may create and change customers, timelines and subscriptions."""
    return tokens.mint([Role.SUPPORT])


@pytest.fixture
def unique() -> str:
    """A fresh suffix, so tests sharing the runtime never collide on unique keys."""
    return uuid.uuid4().hex[:10]
