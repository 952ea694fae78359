"""`python -m local_cloudformation serve`: the emulator server, keeping stacks between commands.

The provider inside runs against this very server, as a Lambda would against AWS.
"""

import os
from contextlib import ExitStack

from emulator import server

from .hosted import PATH, StackService
from .local import local_cloud


def with_stacks(running: server.EmulatorServer, resources: ExitStack) -> list[str]:
    """Mount the stacks endpoint on ``running``, its provider calling that server; the lines
    that tell how to use it."""
    for name, value in server.FAKE_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    os.environ["AWS_ENDPOINT_URL"] = running.url
    running.mount(PATH, StackService(resources.enter_context(local_cloud())))
    url = running.url
    return [
        f"  python -m local_cloudformation stack deploy TEMPLATE --stack-name NAME "
        f"--endpoint-url {url}",
        f"  python -m local_cloudformation invoke events/create.json --endpoint-url {url}",
    ]


def serve_forever(
    host: str,
    port: int,
    transition_seconds: float,
    removal_min_age: float = 0,
    access_log: bool = False,
) -> None:
    server.serve_forever(
        host, port, transition_seconds, removal_min_age, access_log, extend=with_stacks
    )
