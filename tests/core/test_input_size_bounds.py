"""Parsing costs what CloudFormation's limits allow, whatever the input's size: bounds asserted
by counting the Python lines each input makes run (sys.settrace), never by timing."""

import sys
from collections.abc import Callable
from typing import Any

import pytest

from provider import responder
from provider.errors import InvalidProperties
from provider.request import MalformedEvent, Request, parse_request
from provider.response_url import allowed
from provider.spec import parse_spec

HOME = "us-east-1"
EVENT = {
    "RequestType": "Create",
    "RequestId": "7bfe2d24-5e4c-4a8e-9d3a-8d1f1f3a6a01",
    "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k",
    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/5b2d7e40",
    "LogicalResourceId": "Set",
    "ResourceType": "Custom::IncidentReplicationSet",
    "ResourceProperties": {},
}


def lines_run(work: Callable[[], Any]) -> int:
    """How many Python lines ``work`` makes run (its exceptions are part of the work)."""
    count = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return trace

    previous = sys.gettrace()  # coverage's tracer, under `make coverage`: put back after
    sys.settrace(trace)
    try:
        work()
    except (InvalidProperties, MalformedEvent):
        pass
    finally:
        sys.settrace(previous)
    return count


def regions(count: int) -> dict[str, Any]:
    return {"Regions": [{"RegionName": f"us-west-{n % 9 + 1}"} for n in range(count)]}


def tags(count: int) -> dict[str, Any]:
    return {**regions(1), "Tags": [{"Key": f"k{n}", "Value": "v"} for n in range(count)]}


def hints(properties: dict[str, Any]) -> Callable[[], Any]:
    request = Request("Update", None, "", properties, properties, 0, {})  # type: ignore[arg-type]
    return lambda: request.named_regions


# Each input is built before the count starts: only the provider's own work is counted. The
# small inputs are just past what is examined item by item (10 Regions, 50 + 10 tags).
CASES: list[tuple[str, Any, Any, Callable[[Any], Callable[[], Any]]]] = [
    ("Regions", regions(11), regions(20_000), lambda p: lambda: parse_spec(p, HOME)),
    ("Tags", tags(61), tags(20_000), lambda p: lambda: parse_spec(p, HOME)),
    ("Regions as hints", regions(11), regions(20_000), hints),
    (
        "ResponseURL",
        "https://s3." + "s3." * 2_000 + "amazonaws.com/k",
        "https://s3." + "s3." * 400_000 + "amazonaws.com/k",
        lambda url: lambda: allowed(url),
    ),
    (
        "LogicalResourceId",
        {**EVENT, "LogicalResourceId": "L" * 300},
        {**EVENT, "LogicalResourceId": "L" * 1_000_000},
        lambda event: lambda: parse_request(event),
    ),
]


@pytest.mark.parametrize(
    ("name", "small", "huge"),
    [(name, work(small), work(huge)) for name, small, huge, work in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_huge_input_costs_no_more_than_a_small_one_past_the_limit(
    name: str, small: Callable[[], Any], huge: Callable[[], Any]
) -> None:
    assert lines_run(huge) == lines_run(small), f"{name}: work grows with the input"


def test_the_redaction_patterns_cannot_backtrack_over_long_runs() -> None:
    """C-level regex work is not counted above: the patterns are linear by construction (a
    run is bounded, or ended by a character its class excludes)."""
    assert responder.QUERY.pattern == r"\?[^\s'\"]+"
    assert "{0,40}" in responder.PRESIGNED_PARAMETER.pattern
