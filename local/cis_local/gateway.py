"""A local API Gateway: real HTTP in, REST proxy events to the real handlers, responses out.

Routes come from the topology. Protected routes get what the Cognito authorizer would
give: a 401 without a valid token, else the token's claims in requestContext.authorizer.
Each function runs in a small pool of "containers", worker processes that each import its
handler once and serve one event at a time, as Lambda's containers do.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import queue
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
from cis import topology
from cis.api.errors import gateway_error_body
from cis.topology import Function, Route

from cis_local import tokens
from cis_local.functions import function_named, load_handler
from cis_local.pauses import settle
from cis_local.request_counter import count_sent_dynamodb_requests

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's own payload limit
# In Lambda the stream processor and the queue-fed functions run on CPUs of their own; here they
# share two cores with the API's containers and moto, so they yield to them: a lower CPU priority
# (Linux's nice, weight about a third) for containers of functions without routes.
BACKGROUND_NICENESS = 5


@dataclass(frozen=True)
class Binding:
    function: Function
    route: Route
    pattern: re.Pattern


def _pattern(path: str) -> re.Pattern:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{regex}$")


class LambdaContext:
    def __init__(self, function: Function):
        self.function_name = f"cis-local-{function.name}"
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _serve(function_name: str, connection) -> None:
    """One container: import the handler once, then run one event at a time, as Lambda does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent process handles Ctrl-C and stops us
    function = function_named(function_name)
    if not function.routes and hasattr(os, "nice"):
        os.nice(BACKGROUND_NICENESS)
    count_sent_dynamodb_requests()  # before the handler makes its clients (when DynamoDB is not moto's)
    module = load_handler(function)
    settle()  # the handler's imports: long-lived, left out of full collections
    while True:
        try:
            event = connection.recv()
        except (EOFError, OSError):
            # Stopped, as Lambda stops a container: at once. Unwinding an interpreter that holds every module
            # of a handler took ~0.5 s a container, one after another when a runtime stopped.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        try:
            result = module.handler(event, LambdaContext(function))
        except Exception:  # an invocation error: API Gateway answers 502
            traceback.print_exc()
            result = {"statusCode": 502, "headers": {"Content-Type": "application/json"}, "body": _BAD_GATEWAY}
        connection.send(result)


_BAD_GATEWAY = '{"error": {"code": "internal_error", "message": "the function failed", "fields": []}}'


class Container:
    """A worker process for one function. Processes, not threads or module copies: Powertools keeps
    the current event on a class shared by every resolver in a process, so two invocations in one
    process would read each other's requests."""

    def __init__(self, function: Function):
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(function.name, child), daemon=True)
        self.process.start()

    def invoke(self, event: dict) -> dict:
        self.connection.send(event)
        return self.connection.recv()

    def stop(self) -> None:
        self.close()
        self.join()

    def close(self) -> None:
        """Tell the container to stop (it exits when its end of the pipe closes)."""
        self.connection.close()

    def join(self) -> None:
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()


class Containers:
    """Up to `size` containers of one function, each serving one event at a time. After each
    invocation, every callable in `after_invoke` is called (the stream pump's nudge: whatever the
    function wrote is in the table now)."""

    def __init__(self, function: Function, size: int, after_invoke: list | None = None):
        self.function, self.size = function, size
        self.after_invoke = after_invoke if after_invoke is not None else []
        self.all: list[Container] = []
        self.idle: queue.Queue[Container] = queue.Queue()
        self.lock = threading.Lock()

    def invoke(self, event: dict) -> dict:
        container = self._acquire()
        try:
            return container.invoke(event)
        finally:
            self.idle.put(container)
            for listener in self.after_invoke:
                listener()

    def _acquire(self) -> Container:
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            pass
        with self.lock:
            if len(self.all) < self.size:
                self.all.append(Container(self.function))
                return self.all[-1]
        return self.idle.get()

    def stop(self) -> None:
        for container in self.all:
            container.close()
        for container in self.all:
            container.join()


class Gateway:
    def __init__(self, stage: str = "local", containers_per_function: int = 4):
        self.stage = stage
        functions = topology.FUNCTIONS  # read now, not at import: what is declared is what is served
        self.bindings = [Binding(f, route, _pattern(route.path)) for f in functions for route in f.routes]
        self.after_invoke: list = []  # called after each invocation of any function
        self.pools = {
            function.name: Containers(function, containers_per_function, self.after_invoke) for function in functions
        }

    def match(self, method: str, path: str) -> tuple[Binding | None, dict[str, str]]:
        """The route and its path parameters; (None, {}) for anything undeclared, as API Gateway has none."""
        for binding in self.bindings:
            found = binding.pattern.match(path)
            if found and binding.route.method == method:
                return binding, {k: unquote(v) for k, v in found.groupdict().items()}
        return None, {}

    def event(
        self, binding: Binding, method: str, url: str, headers: dict[str, list[str]], body: bytes, params, claims
    ):
        split = urlsplit(url)
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            text, encoded = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
        context = {
            "accountId": "000000000000",
            "apiId": "local",
            "resourcePath": binding.route.path,
            "httpMethod": method,
            "path": split.path,  # as under a custom domain: the local URLs carry no stage prefix
            "stage": self.stage,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": (headers.get("User-Agent") or [""])[-1]},
        }
        if claims is not None:
            context["authorizer"] = {"claims": claims}
        return {
            "resource": binding.route.path,
            "path": split.path,
            "httpMethod": method,
            "headers": {name: values[-1] for name, values in headers.items()},
            "multiValueHeaders": headers,
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": context,
            "body": text if body else None,
            "isBase64Encoded": encoded,
        }

    def authorize(self, binding: Binding, headers: dict[str, list[str]]) -> tuple[dict | None, str | None]:
        """(claims, None) when allowed through, else (None, gateway response kind)."""
        if not binding.route.signed_in:  # public, or signed: the handler verifies the link's token
            return None, None
        raw = (headers.get("Authorization") or [""])[-1].strip()
        token = raw[7:].strip() if raw.lower().startswith("bearer ") else raw
        if not token:
            return None, "UNAUTHORIZED"
        try:
            return tokens.verify(token), None
        except jwt.ExpiredSignatureError:
            return None, "EXPIRED_TOKEN"
        except jwt.PyJWTError:
            return None, "UNAUTHORIZED"

    def stop(self) -> None:
        """Every container told to stop first, then waited for: they stop side by side."""
        containers = [container for pool in self.pools.values() for container in pool.all]
        for container in containers:
            container.close()
        for container in containers:
            container.join()

    def serve(self, host: str, port: int) -> ThreadingHTTPServer:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # No small segment waits for the client's delayed ACK (~40 ms on Linux) behind an earlier one.
            disable_nagle_algorithm = True

            def _handle(self) -> None:
                started = time.perf_counter()
                status = gateway.dispatch(self)
                # Path only: query strings can hold emails and phone numbers.
                elapsed = (time.perf_counter() - started) * 1000
                sys.stderr.write(f"{self.command} {urlsplit(self.path).path} {status} {elapsed:.0f}ms\n")

            def __getattr__(self, name: str):
                # Every method reaches the gateway (TRACE, PROPFIND, ...): API Gateway answers them all
                # in the common error shape, where http.server alone would send an HTML 501.
                if name.startswith("do_"):
                    return self._handle
                raise AttributeError(name)

            def log_message(self, *args) -> None:  # the line above replaces the default log
                pass

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        return server

    def dispatch(self, request: BaseHTTPRequestHandler) -> int:
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers.setdefault(name, []).append(value)
        length = int(request.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            request.close_connection = True
            return self._reply_gateway(request, "REQUEST_TOO_LARGE")
        body = request.rfile.read(length) if length else b""
        binding, params = self.match(request.command, urlsplit(request.path).path)
        if binding is None:  # API Gateway answers an undeclared method on a known path the same way
            return self._reply_gateway(request, "MISSING_AUTHENTICATION_TOKEN")
        claims, refusal = self.authorize(binding, headers)
        if refusal:
            return self._reply_gateway(request, refusal)
        event = self.event(binding, request.command, request.path, headers, body, params, claims)
        result = self.pools[binding.function.name].invoke(event)
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        out = {name: [str(value)] for name, value in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            out[name] = [str(value) for value in values]
        return self._reply(request, int(result["statusCode"]), out, data)

    def _reply_gateway(self, request: BaseHTTPRequestHandler, kind: str) -> int:
        status, text = gateway_error_body(kind)
        return self._reply(request, status, {"Content-Type": ["application/json"]}, text.encode())

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, headers: dict[str, list[str]], data: bytes) -> int:
        request.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "")
        for name, values in headers.items():
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            for value in values:
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        # One write for headers and body (http.server would make two: one segment each, an extra
        # system call and, without TCP_NODELAY, a wait for the client's delayed ACK).
        body = data if request.command != "HEAD" else b""
        if request.request_version == "HTTP/0.9":  # no headers at all: http.server buffered none
            request.wfile.write(body)
        else:
            request._headers_buffer.append(b"\r\n" + body)
            request.flush_headers()
        return status
