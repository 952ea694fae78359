"""A local Region to run stacks in: the emulator, the provider in-process, a response endpoint.

with mock_aws(), local_cloud() as cloud:
    stack = Stack("incidents", cloud)
    stack.create(Path("examples/replication-set.yaml").read_text(), {"SecondaryKeyArn": key})
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from .console import printer
from .engine import Cloud, StackEvent
from .host import provider_host
from .protocol import SERVICE_TOKEN, response_endpoint

#: The provider stack the examples import from (see README: Deploying the provider).
PROVIDER_STACK = "IncidentReplicationSetProvider"


@contextmanager
def local_cloud(
    on_event: Callable[[StackEvent], None] | None = None,
    provider_logs: TextIO | None = None,
    region: str = "us-east-1",
) -> Iterator[Cloud]:
    """Everything a consumer stack needs, with the provider stack's export already there."""
    with (
        response_endpoint() as endpoint,
        provider_host(endpoint, region, logs=provider_logs) as invoke,
    ):
        yield Cloud(
            invoke=invoke,
            endpoint=endpoint,
            service_token=SERVICE_TOKEN,
            on_event=on_event or printer(),
            exports={f"{PROVIDER_STACK}-ServiceToken": SERVICE_TOKEN},
            region=region,
        )
