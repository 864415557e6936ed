"""moto's server mode for the local runtime: in a process of its own, one request at a time, over
connections kept alive.

Its own process: moto's work is Python, and in the runtime's process every request held the
one-request lock while competing for the interpreter lock with the gateway's threads, the stream
pump and the queue drivers (each switch costs the holder 5 ms), so every API call behind it waited
that much longer. Alone, moto holds the lock for about its own work.

One request at a time: DynamoDB applies each request atomically; moto's threaded server does not
(two conditional writes can both pass their check), which would hide or fake lost updates.
Connections stay threaded (one thread each, kept alive) so keep-alive clients never block each
other; only moto's work on a request holds the lock, not reading the request or writing its answer.

Kept alive: werkzeug's development server closes the connection after every response (a new
connection, and a new thread, per AWS call) and writes headers and body apart (with Nagle's
algorithm on, the body then waits for the client's delayed ACK). Here each answer is one write.
"""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections import Counter

from cis_local.request_counter import COUNTS_FOLDER, sent_dynamodb_requests

log = logging.getLogger("cis_local.moto_server")

_HOP_BY_HOP = frozenset(["connection", "keep-alive", "transfer-encoding", "content-length"])
START_SECONDS = 60
# GET <endpoint>/_cis/dynamodb-requests: the DynamoDB requests served so far, by operation (the benches'
# count of what a whole flow costs, its functions and the stream processor together). Streams' reads are
# another service (DynamoDBStreams_20120810) and are not counted. When the table is not moto's
# (CIS_DYNAMODB_ENDPOINT), the runtime's processes count what they send (cis_local.request_counter) and
# this path adds their counts to moto's.
REQUESTS_PATH = "/_cis/dynamodb-requests"
DYNAMODB_TARGET = "DynamoDB_20120810."


def keep_alive_handler():
    """moto's request handler, answering as an HTTP/1.1 server should."""
    from moto.moto_server.threaded_moto_server import MotoRequestHandler

    class KeepAliveRequestHandler(MotoRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def run_wsgi(self) -> None:
            if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.environ = environ = self.make_environ()
            if environ.get("wsgi.input_terminated"):  # a chunked body: the app may leave part of it unread
                self.close_connection = True
            else:  # the body, read whole: what the app leaves unread must not be taken for the next request
                length = int(self.headers.get("Content-Length") or 0)
                environ["wsgi.input"] = io.BytesIO(self.rfile.read(length) if length > 0 else b"")
            answer: list = []
            written: list[bytes] = []

            def start_response(status, headers, exc_info=None):
                answer[:] = [status, headers]
                return written.append

            try:
                body = b"".join([*written, *self.server.app(environ, start_response)])
                status, headers = answer
            except Exception:  # as werkzeug's server: a 500, and the traceback in the log
                log.exception("moto failed on %s %s", self.command, self.path)
                status, headers, body = "500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")], b"moto failed"
                self.close_connection = True
            lines = [f"{self.protocol_version} {status}"]
            lines += [f"{name}: {value}" for name, value in headers if name.lower() not in _HOP_BY_HOP]
            lines.append(f"Content-Length: {len(body)}")
            if self.close_connection:
                lines.append("Connection: close")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            self.wfile.write(head if self.command == "HEAD" else head + body)

    return KeepAliveRequestHandler


def _profiler():
    """CIS_MOTO_PROFILE=<file>: where moto's time goes, as cProfile stats written when the server stops."""
    if not (path := os.environ.get("CIS_MOTO_PROFILE")):
        return None
    import cProfile

    profiler = cProfile.Profile()

    def dump(*_) -> None:
        profiler.dump_stats(path)
        os._exit(0)

    signal.signal(signal.SIGTERM, dump)
    return profiler


def make_server(host: str, port: int):
    """moto's application behind one lock, on the keep-alive handler (not started)."""
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server as werkzeug_server

    from cis_local import moto_fixes
    from cis_local.pauses import RefreezeAfterFullCollections

    moto_fixes.install()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines
    app, lock = DomainDispatcherApplication(create_backend_app), threading.Lock()
    pauses = RefreezeAfterFullCollections()
    counts: Counter[str] = Counter()  # DynamoDB requests by operation, whoever sent them
    profiler = _profiler()

    def one_at_a_time(environ, start_response):
        if environ.get("PATH_INFO") == REQUESTS_PATH:  # the runtime's own question, not an AWS call
            start_response("200 OK", [("Content-Type", "application/json")])
            sent = sent_dynamodb_requests(folder) if (folder := os.environ.get(COUNTS_FOLDER)) else Counter()
            return [json.dumps(counts + sent).encode()]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(DYNAMODB_TARGET):
            counts[target.removeprefix(DYNAMODB_TARGET)] += 1
        with lock:
            try:
                if profiler is None:
                    return list(app(environ, start_response))
                profiler.enable()  # this request's thread only, and one request at a time: all of moto's work
                try:
                    return list(app(environ, start_response))
                finally:
                    profiler.disable()
            finally:
                pauses.between_requests()

    return werkzeug_server(host, port, one_at_a_time, threaded=True, request_handler=keep_alive_handler())


# The services the runtime uses: their moto modules load before the server settles.
SERVICES = ("dynamodb", "dynamodbstreams", "events", "sqs", "sesv2", "sns", "s3")


def _serve(host: str, port: int) -> None:
    from moto.backends import get_backend

    from cis_local.pauses import settle

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runtime handles Ctrl-C and stops us
    server = make_server(host, port)
    for service in SERVICES:
        get_backend(service)
    settle()
    server.serve_forever()


class AtomicMotoServer:
    """moto's server mode in a child process, applying one request at a time."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._process = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._process = context.Process(target=_serve, args=(self.host, self.port), name="moto", daemon=True)
        self._process.start()
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                if not self._process.is_alive():
                    raise RuntimeError(f"moto's server exited (code {self._process.exitcode})") from None
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto's server did not start within {START_SECONDS} s") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
