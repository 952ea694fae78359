"""A local cloud per test: the emulator in-process, the provider, CloudFormation's bucket."""

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator import control
from emulator.stack.engine import Cloud, Stack, StackEvent
from emulator.stack.local import local_cloud

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


def replication_set() -> dict[str, Any] | None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with control.uncounted():
        arns = client.list_replication_sets()["replicationSetArns"]
        if not arns:
            return None
        found: dict[str, Any] = dict(client.get_replication_set(arn=arns[0])["replicationSet"])
        found["tags"] = client.list_tags_for_resource(resourceArn=arns[0])["tags"]
    return found


def region_keys() -> dict[str, str]:
    found = replication_set() or {}
    return {name: r["sseKmsKeyId"] for name, r in found.get("regionMap", {}).items()}


def statuses(events: list[StackEvent], logical_id: str) -> list[str]:
    return [event.status for event in events if event.logical_id == logical_id]


def kms_key(region: str) -> str:
    return str(boto3.client("kms", region_name=region).create_key()["KeyMetadata"]["Arn"])
