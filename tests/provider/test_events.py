"""The sample events in events/ (usable with `sam local invoke -e`) run as CloudFormation would
send them: each answers as expected."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulator import control
from tests.provider.conftest import Stack
from tests.provider.test_create import all_sets, replication_set

EVENTS = Path(__file__).parents[2] / "events"


def load(name: str, stack: Stack, physical_id: str | None = None) -> dict[str, Any]:
    """The stored event, its ResponseURL moved to the local endpoint (path and query kept)."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    parts = urlsplit(event["ResponseURL"])
    event["ResponseURL"] = f"{stack.endpoint.origin}{parts.path}?{parts.query}"
    if physical_id and event.get("PhysicalResourceId", "").startswith("arn:"):
        event["PhysicalResourceId"] = physical_id
    return event


def existing_set(stack: Stack, old_properties: dict[str, Any]) -> str:
    properties = {k: v for k, v in old_properties.items() if k != "ServiceToken"}
    arn = str(stack.create(properties)["PhysicalResourceId"])
    control.reset_call_counts()
    return arn


def test_every_sample_event_is_covered() -> None:
    assert sorted(p.name for p in EVENTS.glob("*.json")) == sorted(
        [
            "create.json",
            "create-bad-properties.json",
            "update-add-region.json",
            "update-tags.json",
            "update-rollback.json",
            "delete.json",
            "delete-after-failed-create.json",
        ]
    )


def test_create_event(stack: Stack) -> None:
    response = stack.send(load("create.json", stack))
    assert response["Status"] == "SUCCESS"
    assert replication_set(response["PhysicalResourceId"])["tags"] == {"team": "sre"}


def test_create_bad_properties_event(stack: Stack) -> None:
    response = stack.send(load("create-bad-properties.json", stack))
    assert (response["Status"], response["Reason"]) == (
        "FAILED",
        "Regions: at most 3 regions, got 4",
    )
    assert control.call_counts() == {}


@pytest.mark.parametrize(
    ("name", "regions", "tags"),
    [
        ("update-add-region.json", ["us-east-1", "us-west-2"], {"team": "sre"}),
        ("update-tags.json", ["us-east-1"], {"team": "incident-response", "cost-center": "4242"}),
        ("update-rollback.json", ["us-east-1"], {"team": "sre"}),
    ],
)
def test_update_events(stack: Stack, name: str, regions: list[str], tags: dict[str, str]) -> None:
    stored = json.loads((EVENTS / name).read_text())
    arn = existing_set(stack, stored["OldResourceProperties"])
    stack.a_day_later()  # the set's Regions may be removed under the assumed 24-hour rule too
    response = stack.send(load(name, stack, arn))
    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", arn)
    found = replication_set(arn)
    assert sorted(found["regionMap"]) == regions
    assert found["tags"] == tags


def test_delete_event(stack: Stack) -> None:
    stored = json.loads((EVENTS / "delete.json").read_text())
    arn = existing_set(stack, stored["ResourceProperties"])
    assert stack.send(load("delete.json", stack, arn))["Status"] == "SUCCESS"
    assert all_sets() == []


def test_delete_after_failed_create_event(stack: Stack) -> None:
    response = stack.send(load("delete-after-failed-create.json", stack))
    assert (response["Status"], response["PhysicalResourceId"]) == (
        "SUCCESS",
        "incident-manager-ReplicationSet-Q2W3E4R5T6Y7",
    )
    assert control.call_counts() == {}
