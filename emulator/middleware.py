"""The test controls in server mode: a WSGI middleware in front of moto's server application,
so the AWS CLI, the local runner, the benchmarks and out-of-process tests reach them too.

It counts each ssm-incidents request and answers an injected fault in the service's place; the
rest goes to moto unchanged. Its control endpoint takes JSON:

=======  ==========================  =============================================
method   path                        what it does
=======  ==========================  =============================================
GET      /emulator-api/calls         ``{"calls": {"CreateReplicationSet": 1, ...}}``
DELETE   /emulator-api/calls         counts back to zero
POST     /emulator-api/faults        inject ``{"operation", "code", "count", "after",
                                     "message"}`` (the last three optional)
DELETE   /emulator-api/faults        clear every injected fault
POST     /moto-api/reset             moto's reset: clears the faults and counts too
=======  ==========================  =============================================

Transitions are moto's own: ``POST /moto-api/state-manager/set-transition`` with
``{"model_name": "ssm-incidents::replication-set", "transition": {...}}``.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

from .faults import Faults
from .operations import operation_of
from .ssmincidents.validation import SERVICE_NAME

PREFIX = "/emulator-api/"
WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def _is_ssm_incidents(environ: dict[str, Any]) -> bool:
    """Signed for the service (SigV4 credential scope) or sent to its host name."""
    scope = f"/{SERVICE_NAME}/aws4_request"
    host = str(environ.get("HTTP_HOST", ""))
    return scope in str(environ.get("HTTP_AUTHORIZATION", "")) or host.startswith(
        f"{SERVICE_NAME}."
    )


class ControlMiddleware:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.faults = Faults()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
            self.faults.reset()  # moto's reset clears the controls too
        if path.startswith(PREFIX):
            return self._control(environ, path.removeprefix(PREFIX), start_response)
        if _is_ssm_incidents(environ):
            operation = operation_of(str(environ.get("REQUEST_METHOD")), path)
            fault = self.faults.on_call(operation) if operation else None
            if fault:
                status, headers, body = fault.response()
                return _answer(start_response, status, body, headers)
        return self.app(environ, start_response)

    def _control(self, environ: dict[str, Any], what: str, start_response: Any) -> list[bytes]:
        method = environ.get("REQUEST_METHOD")
        if what == "calls" and method == "GET":
            return _json(start_response, 200, {"calls": dict(self.faults.calls)})
        if what == "calls" and method == "DELETE":
            self.faults.calls.clear()
            return _json(start_response, 200, {})
        if what == "faults" and method == "DELETE":
            self.faults.queued.clear()
            return _json(start_response, 200, {})
        if what == "faults" and method == "POST":
            return self._inject(environ, start_response)
        return _json(start_response, 404, {"message": f"no control {method} {PREFIX}{what}"})

    def _inject(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            asked = json.loads(environ["wsgi.input"].read(length) or b"{}")
            self.faults.inject(**_fault_request(asked))
        except ValueError as error:
            return _json(start_response, 400, {"message": f"fault refused: {error}"})
        return _json(start_response, 200, {})


#: The members of a fault request, and their types.
FAULT_MEMBERS: dict[str, type] = {
    "operation": str,
    "code": str,
    "count": int,
    "after": int,
    "message": str,
}


def _fault_request(asked: object) -> dict[str, Any]:
    """The fault a request body asks for; ValueError naming what is wrong with it."""
    if not isinstance(asked, dict):
        raise ValueError("expected a JSON object with operation and code")
    unknown = sorted(set(asked) - set(FAULT_MEMBERS))
    if unknown:
        raise ValueError(f"unknown member(s) {unknown}; expected {list(FAULT_MEMBERS)}")
    for name in ("operation", "code"):
        if name not in asked:
            raise ValueError(f"missing member {name!r}")
    for name, value in asked.items():
        kind = FAULT_MEMBERS[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{name!r} must be a JSON {kind.__name__}, got {value!r}")
    return asked


def _json(start_response: Any, status: int, body: dict[str, Any]) -> list[bytes]:
    return _answer(start_response, status, json.dumps(body).encode(), {})


def _answer(start_response: Any, status: int, body: bytes, headers: dict[str, str]) -> list[bytes]:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    sent = {"Content-Type": "application/json", **headers, "Content-Length": str(len(body))}
    start_response(f"{status} {reason}", list(sent.items()))
    return [body]
