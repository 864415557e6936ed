"""SnapStart runtime hooks (cis.snapstart): what each environment restored from one snapshot must not
share with the others. Lambda's `snapshot_restore_py` exists only in its runtime: a fake stands in
for it, and the tests call the hooks it was given as Lambda would."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cis
import cis_local
import pytest
import ulid
from cis import snapstart
from cis.topology import FUNCTIONS


class FakeRuntime(types.ModuleType):
    """snapshot_restore_py as far as the hooks use it: it records what was registered."""

    def __init__(self):
        super().__init__("snapshot_restore_py")
        self.before: list = []
        self.after: list = []

    def register_before_snapshot(self, func, *args, **kwargs):
        self.before.append(func)
        return func

    def register_after_restore(self, func, *args, **kwargs):
        self.after.append(func)
        return func

    def snapshot(self):
        for hook in reversed(self.before):  # Lambda runs these in reverse order of registration
            hook()

    def restore(self):
        for hook in self.after:
            hook()


@pytest.fixture
def runtime(monkeypatch) -> FakeRuntime:
    fake = FakeRuntime()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    monkeypatch.setattr(snapstart, "registered", False)
    assert snapstart.register() is True
    return fake


def test_the_hooks_are_registered_once_with_the_runtime(runtime):
    assert runtime.before == [snapstart.before_snapshot]
    assert runtime.after == [snapstart.after_restore]
    assert snapstart.register() is True  # a second import path registers nothing more
    assert (len(runtime.before), len(runtime.after)) == (1, 1)


def test_outside_lambda_nothing_is_registered(monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as it does locally
    monkeypatch.setattr(snapstart, "registered", False)
    assert snapstart.register() is False


def test_restored_environments_draw_different_random_numbers(runtime):
    state = random.getstate()
    try:
        draws = []
        for _ in range(2):  # two environments restored from one snapshot: the same generator state
            random.seed(1234)
            runtime.restore()
            draws.append([random.random() for _ in range(4)])
        assert draws[0] != draws[1]

        random.seed(1234)  # the same two environments without the hook draw the same numbers
        without = [random.random() for _ in range(4)]
        random.seed(1234)
        assert without == [random.random() for _ in range(4)]
    finally:
        random.setstate(state)


def test_a_restored_environment_does_not_continue_the_snapshots_ulid_sequence(runtime):
    generator = ulid.default_generator
    policy = generator.policy
    try:
        moment = 1_800_000_000.0  # any fixed millisecond: ULIDs made in the same one are sequential
        first = generator.generate(moment)
        assert int(generator.generate(moment)) == int(first) + 1  # the state a snapshot would hand on

        runtime.restore()
        assert type(generator.policy) is type(policy) and generator.policy is not policy
        after = generator.generate(moment)
        assert int(after) not in (int(first) + 1, int(first) + 2)  # fresh randomness, not the next in line
        assert after.timestamp == first.timestamp
    finally:
        generator.policy = policy


class _Server(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client pools the connection
    peers: list = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.peers.append(self.client_address)
        body = json.dumps({"TableNames": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint(monkeypatch):
    _Server.peers = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield _Server.peers
    finally:
        server.shutdown()
        server.server_close()


def test_sdk_clients_from_the_factory_reconnect_after_a_snapshot_and_a_restore(runtime, endpoint):
    from cis.repository.factory import dynamodb_client

    client = dynamodb_client()
    client.list_tables()
    client.list_tables()
    assert endpoint[0] == endpoint[1]  # one pooled connection, reused

    runtime.snapshot()  # the snapshot holds no connection
    client.list_tables()
    assert endpoint[2] != endpoint[1]

    runtime.restore()  # nor does a restored environment use one it did not open
    client.list_tables()
    assert endpoint[3] != endpoint[2]
    assert len(endpoint) == 4  # the same client object answers throughout: handlers keep theirs


def test_the_notifiers_senders_clients_are_tracked_too():
    """The email client is made at init, so a snapshot would hold it: its connections are closed too."""
    from cis.repository.factory import senders

    email = senders()["email"].client
    assert email in set(snapstart._clients)


def test_the_module_imports_nothing_but_the_standard_librarys_weakref():
    """It is on every function's cold-start path: no SDK, no Powertools, no model."""
    folder = Path(cis.__file__).parents[1]
    program = (
        "import sys; before = set(sys.modules); import cis.snapstart; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], env={**os.environ, "PYTHONPATH": str(folder)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) <= {"cis", "cis.snapstart", "weakref", "_weakrefset"}


# A fresh interpreter loads one function's handler as Lambda's init would, with a snapshot_restore_py
# that records the hooks it is given; it prints their names.
LOAD = """
import json, sys, types
registered = []
runtime = types.ModuleType("snapshot_restore_py")
runtime.register_before_snapshot = lambda f, *a, **k: registered.append(("before", f.__module__, f.__name__))
runtime.register_after_restore = lambda f, *a, **k: registered.append(("after", f.__module__, f.__name__))
sys.modules["snapshot_restore_py"] = runtime
from cis_local.functions import function_named, load_handler
load_handler(function_named(sys.argv[1]))
print(json.dumps(registered))
"""


def hooks_registered_by(name: str) -> list[list[str]]:
    paths = [str(Path(package.__file__).parents[1]) for package in (cis, cis_local)]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", LOAD, name], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_function_registers_the_hooks_once_at_init():
    names = [function.name for function in FUNCTIONS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        registered = dict(zip(names, pool.map(hooks_registered_by, names), strict=True))
    expected = [["before", "cis.snapstart", "before_snapshot"], ["after", "cis.snapstart", "after_restore"]]
    assert registered == {name: expected for name in names}


# With the fake runtime in place, one function's handler is loaded and the snapshot taken; it prints
# what its first request would still have to build.
PREPARED = """
import json, sys, types
runtime = types.ModuleType("snapshot_restore_py")
runtime.before = []
runtime.register_before_snapshot = lambda f, *a, **k: runtime.before.append(f)
runtime.register_after_restore = lambda f, *a, **k: None
sys.modules["snapshot_restore_py"] = runtime
from cis_local.functions import function_named, load_handler
from pydantic import BaseModel
app = load_handler(function_named(sys.argv[1])).app

def pending():
    routes = [r.path for r in app._static_routes + app._dynamic_routes if r._dependant is None]
    found, stack = [], [BaseModel]
    while stack:
        for model in stack.pop().__subclasses__():
            stack.append(model)
            if model.__module__.startswith("cis.") and not model.__pydantic_complete__:
                found.append(model.__name__)
    idempotency = "aws_lambda_powertools.utilities.idempotency" in sys.modules
    return {"routes": routes, "models": sorted(found), "idempotency": idempotency}

before = pending()
for hook in runtime.before:
    hook()
print(json.dumps({"before": before, "after": pending()}))
"""


def test_the_snapshot_holds_what_a_first_request_would_otherwise_build():
    """customers_api: its routes' validation, the models it loaded and its idempotency store are
    deferred to the first request at a plain cold start, and built before a snapshot."""
    paths = [str(Path(package.__file__).parents[1]) for package in (cis, cis_local)]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", PREPARED, "customers_api"], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    before, after = figures["before"], figures["after"]
    assert before["routes"] and "Customer" in before["models"] and not before["idempotency"]  # all deferred
    assert after == {"routes": [], "models": [], "idempotency": True}
