"""A local Region to run stacks in: the emulator, the provider in-process, a response endpoint.

with mock_aws(), local_cloud() as cloud:
    stack = Stack("incidents", cloud)
    stack.create(Path("examples/replication-set.yaml").read_text(), {"SecondaryKeyArn": key})

More provider deployments in the same account, each its own function, Region and records
table, as a second provider stack or another Region's would be::

    add_provider(cloud, "IncidentReplicationSetProvider2")  # exports ...Provider2-ServiceToken
    west = other_region(cloud, "us-west-2")  # that Region's stacks, the provider deployed there
    Stack("platform", west).create(text, {})  # its ImportValue reaches us-west-2's function
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from .console import printer
from .engine import Cloud, StackEvent
from .host import Deployment, deploy, provider_host, service_token
from .protocol import SERVICE_TOKEN, response_endpoint
from .provider_stack import PROVIDER_STACK


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
            providers={SERVICE_TOKEN: invoke},
            endpoint=endpoint,
            on_event=on_event or printer(),
            exports={f"{PROVIDER_STACK}-ServiceToken": SERVICE_TOKEN},
            region=region,
        )


def add_provider(cloud: Cloud, provider_stack: str) -> Deployment:
    """Deploy the provider again in ``cloud``'s Region as the stack ``provider_stack``: its own
    function and records table, its ServiceToken exported as ``<provider_stack>-ServiceToken``
    to that Region's stacks."""
    export = f"{provider_stack}-ServiceToken"
    if export in cloud.exports:
        raise ValueError(f"Export with name {export} is already exported in {cloud.region}")
    token = service_token(cloud.region, provider_stack, cloud.account_id)
    deployment = deploy(cloud.endpoint, cloud.region, provider_stack, token=token)
    cloud.providers[deployment.service_token] = deployment.invoke
    cloud.exports[export] = deployment.service_token
    return deployment


def other_region(cloud: Cloud, region: str, provider_stack: str | None = PROVIDER_STACK) -> Cloud:
    """The same account's stacks in another Region: the same emulator and CloudFormation's
    endpoint; exports and provider deployments of their own (a function serves only stacks of
    its Region), with the provider deployed there as ``provider_stack`` (None: not yet)."""
    if region == cloud.region:
        raise ValueError(f"{region} is this cloud's own Region: add_provider deploys there")
    there = Cloud(
        providers={},
        endpoint=cloud.endpoint,
        on_event=cloud.on_event,
        account_id=cloud.account_id,
        region=region,
    )
    if provider_stack is not None:
        add_provider(there, provider_stack)
    return there
