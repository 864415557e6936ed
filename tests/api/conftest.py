"""The API suite talks real HTTP to `cis run`, started here as a user would start it."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from cis.topology import Role
from cis_local import tokens
from cis_local.runtime import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def local_api():
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cis_local.cli", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/v1/openapi.json", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None:
                pytest.fail(f"cis run exited early:\n{process.stdout.read()}")
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("cis run did not start within 60 s")
    yield type("LocalApi", (), {"url": base, "process": process})
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=20)


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
