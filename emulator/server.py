"""Server mode: every moto service plus ssm-incidents on one local port.

Use it from the AWS CLI or any SDK with ``--endpoint-url http://127.0.0.1:PORT`` (or
``AWS_ENDPOINT_URL``). Requests are routed by the SigV4 signing name, so one port serves all.
"""

import os
import threading

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from .registration import register
from .ssmincidents.models import TRANSITION_SECONDS_ENV


def start(
    host: str = "127.0.0.1", port: int = 0, transition_seconds: float = 0
) -> ThreadedMotoServer:
    """Start a server in a background thread; ``port=0`` picks a free port."""
    os.environ[TRANSITION_SECONDS_ENV] = str(transition_seconds)
    register()
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server


def serve_forever(host: str, port: int, transition_seconds: float) -> None:
    server = start(host, port, transition_seconds)
    bound_host, bound_port = server.get_host_and_port()
    print(f"ssm-incidents emulator (and every moto service) on http://{bound_host}:{bound_port}")
    print(
        f"  aws --endpoint-url http://{bound_host}:{bound_port} ssm-incidents list-replication-sets"
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
