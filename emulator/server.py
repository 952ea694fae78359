"""Server mode: every moto service plus ssm-incidents on one local port, and local stacks.

Use it from the AWS CLI or any SDK with ``--endpoint-url http://127.0.0.1:PORT`` (or
``AWS_ENDPOINT_URL``). Requests are routed by the SigV4 signing name, so one port serves all.
With ``with_stacks``, the same port keeps stacks for ``python -m emulator stack ...``.
"""

import os
import threading
from contextlib import ExitStack
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from .registration import register
from .ssmincidents.models import REMOVAL_MIN_AGE_ENV, TRANSITION_SECONDS_ENV
from .stack import hosted

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without werkzeug's line per request (``--access-log`` brings it
    back): the provider's own log lines stay readable."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class EmulatorServer:
    """moto's server application, with the local stacks endpoint in front of it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, access_log: bool = False) -> None:
        register()
        self.stacks: hosted.StackService | None = None
        self._moto = DomainDispatcherApplication(create_backend_app)
        handler = MotoRequestHandler if access_log else QuietRequestHandler
        self._server: BaseWSGIServer = make_server(
            host, port, self._app, threaded=True, request_handler=handler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._resources = ExitStack()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == hosted.PATH and self.stacks is not None:
            return self.stacks(environ, start_response)
        return self._moto(environ, start_response)

    def start(self) -> "EmulatorServer":
        self._thread.start()
        return self

    def with_stacks(self) -> "EmulatorServer":
        """Run local stacks here; their provider calls this server (set AWS_ENDPOINT_URL first)."""
        from .stack.local import local_cloud  # noqa: PLC0415 - imports the provider

        self.stacks = hosted.StackService(self._resources.enter_context(local_cloud()))
        return self

    def stop(self) -> None:
        self._resources.close()
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
    os.environ[TRANSITION_SECONDS_ENV] = str(transition_seconds)
    os.environ[REMOVAL_MIN_AGE_ENV] = str(removal_min_age)
    return EmulatorServer(host, port, access_log).start()


def serve_forever(
    host: str,
    port: int,
    transition_seconds: float,
    removal_min_age: float = 0,
    access_log: bool = False,
) -> None:
    try:
        running = start(host, port, transition_seconds, removal_min_age, access_log)
    except OSError as error:
        raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror}") from None
    # The provider inside runs against this very server, as a Lambda would against AWS.
    for name, value in FAKE_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    os.environ["AWS_ENDPOINT_URL"] = running.url
    running.with_stacks()
    print(f"ssm-incidents emulator (and every moto service) on {running.url}", flush=True)
    print(f"  aws --endpoint-url {running.url} ssm-incidents list-replication-sets")
    print(
        f"  python -m emulator stack deploy TEMPLATE --stack-name NAME --endpoint-url {running.url}"
    )
    print(f"  python -m emulator invoke events/create.json --endpoint-url {running.url}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        running.stop()
