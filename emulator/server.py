"""Server mode: every moto service plus ssm-incidents on one local port, behind the test
controls' middleware (faults and call counts: emulator.middleware, emulator.remote).

Use it from the AWS CLI or any SDK with ``--endpoint-url http://127.0.0.1:PORT`` (or
``AWS_ENDPOINT_URL``). Requests are routed by the SigV4 signing name, so one port serves all.
Another WSGI application can be mounted at a path of its own (the local stack runner keeps its
stacks there).
"""

import os
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from moto.moto_api import state_manager
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from .middleware import ControlMiddleware
from .registration import register
from .ssmincidents.models import REMOVAL_MIN_AGE_ENV, TRANSITION_MODEL

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
WsgiApp = Callable[[dict[str, Any], Any], Any]


class QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without werkzeug's line per request (``--access-log`` brings it
    back): the log lines of what runs against the server stay readable."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class EmulatorServer:
    """moto's server application, with other applications mounted at paths of their own."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, access_log: bool = False) -> None:
        register()
        self.mounted: dict[str, WsgiApp] = {}
        self.controls = ControlMiddleware(DomainDispatcherApplication(create_backend_app))
        handler = MotoRequestHandler if access_log else QuietRequestHandler
        self._server: BaseWSGIServer = make_server(
            host, port, self._app, threaded=True, request_handler=handler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def mount(self, path: str, app: WsgiApp) -> "EmulatorServer":
        """Serve ``app`` at ``path`` (exactly) instead of moto."""
        self.mounted[path] = app
        return self

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        app = self.mounted.get(environ.get("PATH_INFO", ""), self.controls)
        return app(environ, start_response)

    def start(self) -> "EmulatorServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    transition_seconds: float = 0,
    removal_min_age: float = 0,
    access_log: bool = False,
) -> EmulatorServer:
    """Start a server in a background thread; ``port=0`` picks a free port."""
    if transition_seconds:
        transition = {"progression": "time", "seconds": transition_seconds}
        state_manager.set_transition(TRANSITION_MODEL, transition)
    else:
        state_manager.unset_transition(TRANSITION_MODEL)
    os.environ[REMOVAL_MIN_AGE_ENV] = str(removal_min_age)
    try:
        return EmulatorServer(host, port, access_log).start()
    except OSError as error:
        raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror}") from None


def wait_until_interrupted(running: EmulatorServer) -> None:
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        running.stop()


#: Mounts more on a started server (resources it opens close with the server); the lines it
#: returns join the banner.
Extension = Callable[[EmulatorServer, ExitStack], list[str]]


def serve_forever(
    host: str,
    port: int,
    transition_seconds: float,
    removal_min_age: float = 0,
    access_log: bool = False,
    *,
    extend: Extension | None = None,
) -> None:
    running = start(host, port, transition_seconds, removal_min_age, access_log)
    with ExitStack() as resources:
        extra = extend(running, resources) if extend else []
        print(f"ssm-incidents emulator (and every moto service) on {running.url}")
        print(f"  aws --endpoint-url {running.url} ssm-incidents list-replication-sets")
        print(f"  curl {running.url}/emulator-api/calls   (faults and call counts: README)")
        for line in extra:
            print(line)
        print(end="", flush=True)
        wait_until_interrupted(running)
