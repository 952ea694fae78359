"""The sample events in events/ (usable with `sam local invoke -e`) run as CloudFormation would
send them: each answers as expected."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulator import control
from provider.request import parse_request
from provider.response_url import allowed
from tests.provider.conftest import Stack, marked, success
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


def existing_set(stack: Stack, event: dict[str, Any], old_properties: dict[str, Any]) -> str:
    """The set the event's resource (its stack and logical ID) created, as the event expects."""
    properties = {k: v for k, v in old_properties.items() if k != "ServiceToken"}
    created = stack.create(
        properties, stack_id=event["StackId"], logical_id=event["LogicalResourceId"]
    )
    arn = str(created["PhysicalResourceId"])
    control.reset_call_counts()
    return arn


def test_every_sample_event_is_a_cloudformation_request_the_readme_describes() -> None:
    readme = (EVENTS.parent / "README.md").read_text()
    names = sorted(p.name for p in EVENTS.glob("*.json"))
    assert len(names) == 7
    for name in names:
        event = json.loads((EVENTS / name).read_text())
        request = parse_request(event)  # well formed, as CloudFormation sends it
        assert allowed(request.response_url), f"{name}: not an S3 response URL"
        assert event["ResourceProperties"]["ServiceToken"] == event["ServiceToken"]
        assert (request.request_type == "Update") is ("OldResourceProperties" in event)
        assert f"| `{name}` |" in readme, f"{name} is missing from the README's Events table"


def test_create_event(stack: Stack) -> None:
    event = load("create.json", stack)
    response = stack.send(event)
    arn = all_sets()[0]
    assert response == success(event, arn)
    assert replication_set(arn)["tags"] == marked({"team": "sre"}, event["StackId"])


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
    arn = existing_set(stack, stored, stored["OldResourceProperties"])
    stack.a_day_later()  # the set's Regions may be removed under the assumed 24-hour rule too
    response = stack.send(load(name, stack, arn))
    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", arn)
    found = replication_set(arn)
    assert sorted(found["regionMap"]) == regions
    assert found["tags"] == marked(tags, stored["StackId"])


def test_delete_event(stack: Stack) -> None:
    stored = json.loads((EVENTS / "delete.json").read_text())
    arn = existing_set(stack, stored, stored["ResourceProperties"])
    assert stack.send(load("delete.json", stack, arn))["Status"] == "SUCCESS"
    assert all_sets() == []


def test_delete_after_failed_create_event(stack: Stack) -> None:
    response = stack.send(load("delete-after-failed-create.json", stack))
    assert (response["Status"], response["PhysicalResourceId"]) == (
        "SUCCESS",
        "incident-manager-ReplicationSet-Q2W3E4R5T6Y7",
    )
    assert control.call_counts() == {}
