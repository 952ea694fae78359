"""CloudFormation's side of the custom resource protocol, for the local runner and the tests.

One builder makes events the way CloudFormation does; a loopback HTTP endpoint receives the
responses; a Lambda context stub tells the remaining time on a clock the caller chooses.
"""

import json
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import quote

from .tls import TlsFiles

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK_GUID = "5b2d7e40-0d3a-11ef-9f0f-0a1b2c3d4e5f"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/incidents/{STACK_GUID}"
SERVICE_TOKEN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:IncidentReplicationSetProvider"
#: What a presigned S3 URL carries in its query string; must never reach a log.
SECRET_QUERY = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261128T000000Z&X-Amz-Expires=7200"
    "&X-Amz-SignedHeaders=host&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261128%2Fus-east-1"
    "%2Fs3%2Faws4_request&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef"
)


@dataclass
class Delivery:
    path: str
    raw: bytes
    headers: dict[str, str]

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.raw)  # type: ignore[no-any-return]


@dataclass
class ResponseEndpoint:
    """A loopback stand-in for CloudFormation's S3 response bucket."""

    origin: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    #: statuses to answer with before accepting (e.g. [503, 503]); consumed one per request
    failures: list[int] = field(default_factory=list)
    attempts: int = 0  # every PUT received, accepted or not

    def url_for(self, request_id: str, logical_id: str, stack_id: str = STACK_ID) -> str:
        key = quote(f"{stack_id}|{logical_id}|{request_id}", safe="")
        return f"{self.origin}/cloudformation-custom-resource-response-useast1/{key}?{SECRET_QUERY}"

    def for_request(self, request_id: str) -> list[dict[str, Any]]:
        return [d.body for d in self.deliveries if d.body.get("RequestId") == request_id]


@contextmanager
def response_endpoint(port: int = 0, tls: TlsFiles | None = None) -> Iterator[ResponseEndpoint]:
    """Listen on 127.0.0.1 (``port=0``: any free port) until the block ends; with ``tls``,
    over HTTPS with that certificate."""
    endpoint = ResponseEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            endpoint.attempts += 1
            if endpoint.failures:
                self.send_response(endpoint.failures.pop(0))
                self.end_headers()
                return
            endpoint.deliveries.append(Delivery(self.path, raw, dict(self.headers)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    host, port = server.server_address[:2]
    endpoint.origin = f"http://{host!s}:{port}"
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.certificate, tls.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        endpoint.origin = f"https://{host!s}:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        thread.join()


class RealClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class InvocationTimedOut(BaseException):
    """Lambda ended the invocation at its timeout: nothing after it runs. A BaseException, so
    that no ``except Exception`` in the code under test can carry on past it."""


class FakeClock:
    """Wall time that moves only when the code under test sleeps (or a call takes time), with
    Lambda's limits on it: timers that fire when their time comes (crhelper's, which answers
    FAILED half a second before the end) and the invocation's end (``ends_at``)."""

    def __init__(self, on_sleep: Callable[[float], None] = lambda _: None) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []
        self._on_sleep = on_sleep
        self.timers: list[FakeTimer] = []
        self.ends_at: float | None = None  # the running invocation's timeout
        self.fired: list[float] = []  # seconds before the end at which a timer fired

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: due timers fire, and past the end the invocation is over."""
        self.now += seconds
        self._on_sleep(seconds)
        for timer in sorted(self.timers, key=lambda t: t.due):
            if timer.due <= self.now and timer in self.timers:
                self.timers.remove(timer)
                if self.ends_at is not None:
                    self.fired.append(self.ends_at - timer.due)
                timer.function()
        if self.ends_at is not None and self.now >= self.ends_at:
            raise InvocationTimedOut

    def timer(self, interval: float, function: Callable[[], None]) -> "FakeTimer":
        """What crhelper gets for ``threading.Timer``: fires on this clock, in the caller's
        thread."""
        return FakeTimer(self, interval, function)


@dataclass(eq=False)
class FakeTimer:
    clock: FakeClock
    interval: float
    function: Callable[[], None]
    due: float = 0.0

    def start(self) -> None:
        self.due = self.clock.now + self.interval
        self.clock.timers.append(self)

    def cancel(self) -> None:
        if self in self.clock.timers:
            self.clock.timers.remove(self)


class Clock(Protocol):
    def time(self) -> float: ...


@dataclass
class FakeContext:
    """The parts of a Lambda context the provider and Powertools read."""

    clock: Clock
    timeout_seconds: float = 900
    function_name: str = "IncidentReplicationSetProvider"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = SERVICE_TOKEN
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock.time()

    def get_remaining_time_in_millis(self) -> int:
        return int(max(self.started + self.timeout_seconds - self.clock.time(), 0) * 1000)


def make_event(
    request_type: str,
    properties: dict[str, Any] | None,
    endpoint: ResponseEndpoint,
    *,
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
    logical_id: str = "ReplicationSet",
    request_id: str | None = None,
    stack_id: str = STACK_ID,
    resource_type: str = "Custom::IncidentReplicationSet",
    service_token: str = SERVICE_TOKEN,
) -> dict[str, Any]:
    """An event shaped as CloudFormation sends it (ServiceToken inside ResourceProperties)."""
    request_id = request_id or str(uuid.uuid4())
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": service_token,
        "ResponseURL": endpoint.url_for(request_id, logical_id, stack_id),
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": {"ServiceToken": service_token, **(properties or {})},
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = {"ServiceToken": service_token, **old_properties}
    return event
