"""A fault-injecting HTTP proxy for reliability tests: put it between a client and the emulator.

    with FaultProxy(emulator.endpoint_url, fault_rate=0.3, seed=1) as proxy:
        boto3.client("logs", endpoint_url=proxy.endpoint_url, ...)
        ...
        assert proxy.injected_total > 0

Every request is forwarded unchanged (method, path, headers, body) to `upstream` and its
response returned, except that a seeded-random share `fault_rate` of the requests is answered
with one of these faults instead (`kinds`), each one that real AWS gives and botocore retries:

  throttle  HTTP 400 with the throttling error code in the protocol the request used:
            - query (SNS, STS):   <ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>...
            - JSON 1.0/1.1 (Logs, and CloudWatch/tagging when they speak JSON):
                                  {"__type": "ThrottlingException", "message": "Rate exceeded"}
            - Smithy RPCv2 CBOR (CloudWatch and the tagging API in botocore >= 1.40): the same map,
                                  CBOR-encoded, with `smithy-protocol: rpc-v2-cbor`
            CloudWatch is "awsQueryCompatible": AWS adds `x-amzn-query-error: Throttling;Sender`
            to its JSON/CBOR errors and botocore then reports the query code `Throttling`.
            Both `Throttling` and `ThrottlingException` are in botocore's throttled error codes
            (botocore/retries/standard.py ThrottledRetryableChecker; `_retry.json` definitions
            "throttling"/"throttling_exception"); adaptive mode also slows its send rate on them.
  500, 503  HTTP 500 InternalFailure / 503 ServiceUnavailable, protocol-shaped. botocore retries
            these status codes (TransientRetryableChecker._TRANSIENT_STATUS_CODES = 500, 502,
            503, 504; `_retry.json` "general_server_error", "service_unavailable").
  reset     the connection is closed with a TCP RST before any response, and the request is
            never forwarded. urllib3 raises ProtocolError, botocore ConnectionClosedError (an
            HTTPClientError), which TransientRetryableChecker retries.
  lost      like `reset`, but only after the request was forwarded and executed upstream: the
            response is lost, so the retry repeats a request that already took effect (the
            case that makes non-idempotent creates fail with "already exists"). Not a default.
  truncate  the request is forwarded and executed upstream, and its response arrives with the
            status and headers intact but the body cut in half (Content-Length matching the
            cut body, so the HTTP exchange itself is well-formed: a broken middlebox or an
            answer cut short by the service). botocore does not retry this: its parsers raise
            ResponseParserError (XML, CBOR), which is not a BotoCoreError, outside the retry
            loop; its JSON parser reads an unparsable body as {"message": <body>}, an empty
            answer, unless the client checks the body first (reconciler.aws). Not a default.

`latency=(lo, hi)` adds a uniform random delay (seconds) to every request. `faults_for_writes_only`
restricts faults to write operations. `rules` are callables `rule(request) -> Fault | None` run
before the random draw, for deterministic faults (e.g. `deny(...)`: AccessDenied for one
resource, as an IAM policy scoped to resource ARNs gives; `not_yet_indexed()`: empty tagging
API pages, as right after resources were created).

The proxy listens on 127.0.0.1 only, on a free port; it serves at most `max_connections`
connections at once and bodies up to `max_body` bytes; `stop()` (or leaving the `with`) closes
the listener and every open connection and joins the threads.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import struct
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable

KINDS = ("throttle", "500", "503", "reset", "lost", "truncate")
DEFAULT_KINDS = ("throttle", "500", "reset")
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
               "trailer", "upgrade", "proxy-authenticate", "proxy-authorization", "content-length"}
# Operation-name prefixes that change state (the same list as reconciler.aws.WRITE_PREFIXES,
# copied so the proxy stays usable without obsctl).
_WRITE_PREFIXES = ("Put", "Create", "Delete", "Update", "Tag", "Untag", "Associate",
                   "Disassociate", "Subscribe", "Unsubscribe", "Set", "Register",
                   "Deregister", "Start", "Stop", "Add", "Remove", "Enable", "Disable")


# --- requests -----------------------------------------------------------------------------

@dataclass
class ProxiedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    protocol: str  # "query" | "json" | "cbor" | "rest"
    operation: str | None  # e.g. "PutMetricAlarm", when the protocol names it
    service: str | None  # e.g. "monitoring", "logs", "sns" (from the SigV4 credential scope)

    @property
    def is_write(self) -> bool:
        return bool(self.operation) and self.operation.startswith(_WRITE_PREFIXES)


def _classify(method: str, path: str, headers: dict[str, str], body: bytes) -> ProxiedRequest:
    content_type = headers.get("content-type", "")
    target = headers.get("x-amz-target")
    operation = None
    if headers.get("smithy-protocol") == "rpc-v2-cbor" or "/operation/" in path:
        protocol = "cbor"  # POST /service/{ServiceShape}/operation/{Operation}
        operation = path.rstrip("/").rsplit("/operation/", 1)[-1] if "/operation/" in path else None
    elif target or content_type.startswith("application/x-amz-json"):
        protocol = "json"  # X-Amz-Target: Logs_20140328.CreateLogGroup
        operation = target.rsplit(".", 1)[-1] if target else None
    elif content_type.startswith("application/x-www-form-urlencoded"):
        protocol = "query"  # Action=CreateTopic&Version=...
        values = urllib.parse.parse_qs(body.decode("utf-8", "replace"), max_num_fields=10_000)
        operation = (values.get("Action") or [None])[0]
    else:
        protocol = "rest"
    service = None
    authorization = headers.get("authorization", "")
    if "Credential=" in authorization:  # Credential=AKID/20240101/us-east-1/logs/aws4_request
        scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        service = scope[3] if len(scope) > 3 else None
    return ProxiedRequest(method, path, headers, body, protocol, operation, service)


# --- faults ------------------------------------------------------------------------------

@dataclass
class Fault:
    """What to answer instead of the upstream response. `status` None: drop the connection."""

    kind: str
    status: int | None = None
    code: str = ""
    message: str = ""
    query_type: str = "Sender"  # query-protocol <Type>: Sender (client) or Receiver (server)
    forward_first: bool = False  # `lost`, `truncate`: execute upstream first
    # With forward_first: answer the upstream response with its body rewritten (`truncate`:
    # cut in half) instead of dropping the connection.
    rewrite: Callable[[bytes], bytes] | None = None
    payload: dict | None = None  # a successful answer (status 200) instead of an error


def _fault(kind: str) -> Fault:
    if kind == "throttle":
        return Fault(kind, 400, "Throttling", "Rate exceeded")
    if kind == "500":
        return Fault(kind, 500, "InternalFailure",
                     "The request processing has failed because of an unknown error, exception "
                     "or failure.", "Receiver")
    if kind == "503":
        return Fault(kind, 503, "ServiceUnavailable", "Service is unavailable. Try again later.",
                     "Receiver")
    if kind == "reset":
        return Fault(kind)
    if kind == "lost":
        return Fault(kind, forward_first=True)
    if kind == "truncate":
        return Fault(kind, forward_first=True, rewrite=lambda body: body[:len(body) // 2])
    raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")


# Error codes as the JSON/CBOR protocols of non-query-compatible services spell them.
_JSON_CODES = {"Throttling": "ThrottlingException", "InternalFailure": "InternalFailure",
               "ServiceUnavailable": "ServiceUnavailableException",
               "AccessDenied": "AccessDeniedException"}


def deny(operation: str, contains: str, message: str | None = None) -> Callable[[ProxiedRequest], Fault | None]:
    """A rule answering AccessDenied (HTTP 403, not retried) to every `operation` request whose
    body mentions `contains` (a resource name), as an IAM policy that does not cover that
    resource's ARN would."""
    needle = contains.encode()

    def rule(request: ProxiedRequest) -> Fault | None:
        if request.operation != operation or needle not in request.body:
            return None
        service = request.service or "service"
        action = f"{'cloudwatch' if service == 'monitoring' else service}:{operation}"
        text = message or (f"User: arn:aws:sts::123456789012:assumed-role/obsctl/ci is not "
                           f"authorized to perform: {action} on resource: {contains} because no "
                           f"identity-based policy allows the {action} action")
        return Fault("deny", 403, "AccessDenied", text)
    return rule


def truncated(operation: str) -> Callable[[ProxiedRequest], Fault | None]:
    """A rule answering every `operation` request with its upstream response cut in half."""
    def rule(request: ProxiedRequest) -> Fault | None:
        return _fault("truncate") if request.operation == operation else None
    return rule


def _cbor_text(value: str) -> bytes:
    data = value.encode()
    n = len(data)
    if n < 24:
        head = bytes([0x60 + n])
    elif n < 0x100:
        head = bytes([0x78, n])
    elif n < 0x10000:
        head = b"\x79" + struct.pack(">H", n)
    else:
        head = b"\x7a" + struct.pack(">I", n)
    return head + data


def _cbor_map(values: dict[str, str | list]) -> bytes:
    assert len(values) < 24
    return bytes([0xA0 + len(values)]) + b"".join(_cbor_text(k) + _cbor_value(v)
                                                   for k, v in values.items())


def _cbor_value(value: str | list) -> bytes:
    if isinstance(value, list):  # only what the answers here need: empty lists
        assert not value
        return b"\x80"
    return _cbor_text(value)


def not_yet_indexed(operation: str = "GetResources") -> Callable[[ProxiedRequest], Fault | None]:
    """A rule answering every tagging API GetResources with an empty page, as AWS does for
    resources tagged moments ago: the Resource Groups Tagging API is fed asynchronously by
    the services, so a just-created resource can be missing from it for a while."""
    def rule(request: ProxiedRequest) -> Fault | None:
        if request.operation != operation:
            return None
        return Fault("stale", 200, payload={"ResourceTagMappingList": [], "PaginationToken": ""})
    return rule


def error_response(request: ProxiedRequest, fault: Fault) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of `fault` in the protocol of `request`."""
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if request.protocol == "query" or request.protocol == "rest":
        body = (f'<ErrorResponse xmlns="http://{request.service or "aws"}.amazonaws.com/doc/">'
                f"<Error><Type>{fault.query_type}</Type><Code>{fault.code}</Code>"
                f"<Message>{fault.message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        headers["Content-Type"] = "text/xml"
        return fault.status, headers, body
    if fault.payload is not None:
        payload = fault.payload
    else:
        payload = {"__type": _JSON_CODES.get(fault.code, fault.code), "message": fault.message}
    if request.service == "monitoring" and fault.payload is None:
        # CloudWatch is awsQueryCompatible: keeps its query error codes via this header.
        headers["x-amzn-query-error"] = f"{fault.code};{fault.query_type}"
    if request.protocol == "cbor":
        headers["Content-Type"] = "application/cbor"
        headers["smithy-protocol"] = "rpc-v2-cbor"
        return fault.status, headers, _cbor_map(payload)
    headers["Content-Type"] = request.headers.get("content-type") or "application/x-amz-json-1.1"
    return fault.status, headers, json.dumps(payload).encode()


# --- the server --------------------------------------------------------------------------

@dataclass
class ProxyStats:
    requests: int = 0
    forwarded: int = 0
    injected: Counter = field(default_factory=Counter)  # by fault kind
    injected_by_operation: Counter = field(default_factory=Counter)  # "kind Operation"
    upstream_errors: int = 0  # upstream unreachable: answered 502


class FaultProxy:
    def __init__(self, upstream: str, fault_rate: float = 0.3,
                 latency: tuple[float, float] = (0.0, 0.02),
                 kinds: Iterable[str] = DEFAULT_KINDS, seed: int | None = 1,
                 faults_for_writes_only: bool = False,
                 rules: Iterable[Callable[[ProxiedRequest], Fault | None]] = (),
                 max_connections: int = 128, max_body: int = 16 * 1024 * 1024,
                 timeout: float = 60.0) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"upstream must be an http:// URL, got {upstream!r}")
        if not 0 <= fault_rate <= 1:
            raise ValueError("fault_rate must be between 0 and 1")
        self.kinds = tuple(kinds)
        for kind in self.kinds:
            _fault(kind)  # validates
        if fault_rate and not self.kinds:
            raise ValueError("fault_rate > 0 needs at least one fault kind")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.fault_rate = fault_rate
        self.latency = latency
        self.faults_for_writes_only = faults_for_writes_only
        self.rules = list(rules)
        self.max_body = max_body
        self.timeout = timeout
        self.stats = ProxyStats()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._server: ThreadingHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None
        self.endpoint_url = ""

    # -- counters ----------------------------------------------------------------------------
    @property
    def injected_total(self) -> int:
        with self._lock:
            return sum(self.stats.injected.values())

    def snapshot(self) -> dict:
        with self._lock:
            return {"requests": self.stats.requests, "forwarded": self.stats.forwarded,
                    "injected": dict(self.stats.injected),
                    "upstream_errors": self.stats.upstream_errors}

    def set_fault_rate(self, fault_rate: float) -> None:
        with self._lock:
            self.fault_rate = fault_rate

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "FaultProxy":
        if self._server is not None:
            raise RuntimeError("proxy already started")
        proxy = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

            def process_request(self, request, client_address):
                if not proxy._slots.acquire(timeout=proxy.timeout):
                    self.shutdown_request(request)
                    return
                with proxy._lock:
                    proxy._sockets.add(request)
                thread = threading.Thread(target=self._run, args=(request, client_address),
                                          name="faultproxy-conn", daemon=True)
                with proxy._lock:
                    proxy._threads.add(thread)
                thread.start()

            def _run(self, request, client_address):
                try:
                    self.process_request_thread(request, client_address)
                finally:
                    with proxy._lock:
                        proxy._sockets.discard(request)
                        proxy._threads.discard(threading.current_thread())
                    proxy._slots.release()

        self._server = Server(("127.0.0.1", 0), _handler_class(self))
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_port}"
        self._serve_thread = threading.Thread(target=self._server.serve_forever,
                                              kwargs={"poll_interval": 0.1},
                                              name="faultproxy", daemon=True)
        self._serve_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:  # wake handlers blocked on idle keep-alive connections
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._serve_thread is not None:
            self._serve_thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- decisions ---------------------------------------------------------------------------
    def _decide(self, request: ProxiedRequest) -> tuple[Fault | None, float]:
        for rule in self.rules:
            fault = rule(request)
            if fault is not None:
                break
        else:
            fault = None
        with self._lock:
            self.stats.requests += 1
            lo, hi = self.latency
            delay = self._random.uniform(lo, hi) if hi > 0 else 0.0
            if fault is None:
                # Always draw, so the sequence of decisions depends only on the seed and order.
                draw, pick = self._random.random(), self._random.randrange(max(1, len(self.kinds)))
                eligible = not self.faults_for_writes_only or request.is_write
                if eligible and draw < self.fault_rate:
                    fault = _fault(self.kinds[pick])
            if fault is not None:
                self.stats.injected[fault.kind] += 1
                self.stats.injected_by_operation[f"{fault.kind} {request.operation}"] += 1
            if fault is None or fault.forward_first:
                self.stats.forwarded += 1
        return fault, delay

    def _count_upstream_error(self) -> None:
        with self._lock:
            self.stats.upstream_errors += 1


def _handler_class(proxy: FaultProxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
        timeout = proxy.timeout
        _upstream: http.client.HTTPConnection | None = None

        def log_message(self, format, *args):  # quiet
            pass

        def do_GET(self):
            self._proxy()

        do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

        def finish(self):
            try:
                super().finish()
            finally:
                if self._upstream is not None:
                    self._upstream.close()

        def _read_body(self) -> bytes | None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks, size = [], 0
                while True:
                    line = self.rfile.readline(1024)
                    length = int(line.split(b";", 1)[0].strip() or b"0", 16)
                    if length == 0:
                        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    size += length
                    if size > proxy.max_body:
                        return None
                    chunks.append(self.rfile.read(length))
                    self.rfile.readline(1024)
            length = int(self.headers.get("Content-Length") or 0)
            if length > proxy.max_body:
                return None
            return self.rfile.read(length) if length else b""

        def _proxy(self):
            body = self._read_body()
            if body is None:
                self.send_error(413, "request body too large for the fault proxy")
                self.close_connection = True
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = _classify(self.command, self.path, headers, body)
            fault, delay = proxy._decide(request)
            if delay:
                time.sleep(delay)
            if fault is not None and not fault.forward_first:
                if fault.status is None:
                    self._drop()
                else:
                    self._send(*error_response(request, fault))
                return
            response = self._forward(request)
            if response is None:
                proxy._count_upstream_error()
                self._send(502, {"Content-Type": "text/plain"}, b"fault proxy: upstream unreachable")
                self.close_connection = True
                return
            if fault is not None and fault.rewrite is not None:
                status, headers, data = response
                self._send(status, headers, fault.rewrite(data))
                return
            if fault is not None:  # `lost`: executed upstream, answer never arrives
                self._drop()
                return
            self._send(*response)

        def _forward(self, request: ProxiedRequest):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Content-Length"] = str(len(request.body))
            for attempt in range(2):  # a pooled upstream connection may have gone stale
                try:
                    if self._upstream is None:
                        self._upstream = http.client.HTTPConnection(
                            proxy.upstream_host, proxy.upstream_port, timeout=proxy.timeout)
                        self._upstream.connect()
                        self._upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self._upstream.request(request.method, request.path, body=request.body,
                                           headers=headers)
                    upstream = self._upstream.getresponse()
                    data = upstream.read()
                    out = {k: v for k, v in upstream.getheaders() if k.lower() not in _HOP_BY_HOP}
                    if upstream.will_close:
                        self._upstream.close()
                        self._upstream = None
                    return upstream.status, out, data
                except (OSError, http.client.HTTPException):
                    if self._upstream is not None:
                        self._upstream.close()
                    self._upstream = None
            return None

        def setup(self):
            super().setup()
            # Small request/response pairs: without this, Nagle + delayed ACK add ~40 ms each.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response_only(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            # Headers and body in one write (send_header only buffers them).
            self._headers_buffer.append(b"\r\n")
            head = b"".join(self._headers_buffer)
            self._headers_buffer = []
            self.wfile.write(head + (b"" if self.command == "HEAD" else body))
            self.wfile.flush()

        def _drop(self) -> None:
            """Close with a TCP RST (SO_LINGER 0) before any byte of a response."""
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            except OSError:
                pass

    return Handler
