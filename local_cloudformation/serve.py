"""`python -m local_cloudformation serve`: the emulator server, keeping stacks between commands.

The provider inside runs against this very server, as a Lambda would against AWS.
"""

import os
from contextlib import ExitStack

from emulator import server

from .hosted import PATH, StackService
from .local import local_cloud


def with_stacks(running: server.EmulatorServer, resources: ExitStack) -> server.EmulatorServer:
    """Mount the stacks endpoint on ``running``; its provider calls that server (set
    AWS_ENDPOINT_URL to it first)."""
    return running.mount(PATH, StackService(resources.enter_context(local_cloud())))


def serve_forever(
    host: str,
    port: int,
    transition_seconds: float,
    removal_min_age: float = 0,
    access_log: bool = False,
) -> None:
    running = server.start(host, port, transition_seconds, removal_min_age, access_log)
    for name, value in server.FAKE_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    os.environ["AWS_ENDPOINT_URL"] = running.url
    with ExitStack() as resources:
        with_stacks(running, resources)
        url = running.url
        print(f"ssm-incidents emulator (and every moto service) on {url}", flush=True)
        print(f"  aws --endpoint-url {url} ssm-incidents list-replication-sets")
        print(
            f"  python -m local_cloudformation stack deploy TEMPLATE --stack-name NAME "
            f"--endpoint-url {url}"
        )
        print(f"  python -m local_cloudformation invoke events/create.json --endpoint-url {url}")
        server.wait_until_interrupted(running)
