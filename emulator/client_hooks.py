"""The test controls in-process: one botocore handler on every ssm-incidents request that the
clients of this process send, installed the way moto installs its own stub (a built-in handler
of every new botocore session).

It runs on ``before-send``, after botocore built and signed the request and before moto's stub:
a fault is answered there as an HTTP response, so botocore's retries and error parsing treat it
as the service's own answer. botocore asks every ``before-send`` handler and keeps the first
answer, so a faulted request is also pointed at a host that no stub routes: moto's stub passes
it by, and the backend never sees the call.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS

from .faults import Faults

#: Where a faulted request is pointed: no stub routes it, and it is never sent.
UNROUTED_URL = "https://fault.invalid/"
#: The counts and faults of every client in this process.
IN_PROCESS = Faults()


class _Body:
    """An HTTP body as botocore reads one (``AWSResponse.raw``)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _before_send(request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
    operation = event_name.rsplit(".", 1)[-1]
    fault = IN_PROCESS.on_call(operation)
    if fault is None:
        return None
    status, headers, body = fault.response()
    sent = HTTPHeaders()
    for name, value in headers.items():
        sent[name] = value
    answered = AWSResponse(request.url, status, sent, _Body(body))
    request.url = UNROUTED_URL
    return answered


#: What to do once after the next successful call of an operation (emulator.control.after_call).
AFTER_CALL: defaultdict[str, list[Callable[[], object]]] = defaultdict(list)


def _after_call(http_response: AWSResponse, model: Any, **_: Any) -> None:
    waiting = AFTER_CALL.get(model.name)
    if waiting and http_response.status_code < 300 and IN_PROCESS.counting:
        waiting.pop(0)()


_HANDLERS = [
    ("before-send.ssm-incidents", _before_send),
    ("after-call.ssm-incidents", _after_call),
]


def install() -> None:
    """Hook every botocore session created from now on. Safe to call more than once."""
    for handler in reversed(_HANDLERS):
        if handler not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.insert(0, handler)
