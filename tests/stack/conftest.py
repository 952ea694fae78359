"""A local cloud per test: the emulator in-process, the provider, CloudFormation's bucket."""

import io
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import boto3
import pytest

from emulator import control
from emulator.server import EmulatorServer
from local_cloudformation.engine import Cloud, Stack, StackEvent
from local_cloudformation.local import local_cloud
from local_cloudformation.serve import with_stacks

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def cloud(aws: None) -> Iterator[Cloud]:
    with local_cloud(on_event=lambda event: None, provider_logs=io.StringIO()) as running:
        yield running


@pytest.fixture
def new_stack(cloud: Cloud) -> Callable[[str], Stack]:
    return lambda name: Stack(name, cloud)


def example(name: str) -> str:
    return (EXAMPLES / name).read_text()


replication_set = control.replication_set
region_keys = control.region_keys


def statuses(events: list[StackEvent], logical_id: str) -> list[str]:
    return [event.status for event in events if event.logical_id == logical_id]


def kms_key(region: str) -> str:
    return str(boto3.client("kms", region_name=region).create_key()["KeyMetadata"]["Arn"])


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A kept emulator server (with stacks), as `make serve` runs it; its URL."""
    running = EmulatorServer().start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", running.url)  # the provider inside calls the server
    with ExitStack() as resources:
        reset = urllib.request.Request(f"{running.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset)  # before the stacks: their provider makes its table
        with_stacks(running, resources)
        yield running.url
    running.stop()
