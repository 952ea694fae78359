"""Bad input, generated and hand-made: never an unhandled exception, a readable FAILED whenever
there is a ResponseURL, and no mutating call for anything invalid."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import control
from provider.errors import InvalidProperties
from provider.spec import parse_spec
from tests.provider.conftest import CapturedLogs, Stack

#: No Region is removed here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
)
json_like = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
region_names = st.sampled_from(
    ["us-east-1", "us-west-2", "eu-west-1", "us-east1", "", "mars-1", "US-EAST-1"]
)
regions = st.lists(
    st.fixed_dictionaries(
        {"RegionName": region_names | json_like},
        optional={
            "RegionConfiguration": st.fixed_dictionaries(
                {}, optional={"SseKmsKeyId": st.text(max_size=8) | json_like}
            )
        },
    ),
    max_size=5,
)
near_valid = st.fixed_dictionaries(
    {"Regions": regions},
    optional={
        "Tags": st.lists(
            st.fixed_dictionaries({"Key": st.text(max_size=6), "Value": st.text(max_size=6)}),
            max_size=3,
        ),
        "DeletionProtected": st.sampled_from([True, False, "true", "False", "yes", 1, None]),
        "AdoptExisting": st.sampled_from([False, "false", "maybe"]),
        "Unknown": json_like,
    },
)


def is_valid(properties: Any) -> bool:
    try:
        parse_spec(properties, "us-east-1")
    except InvalidProperties:
        return False
    return True


@settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(properties=json_like | near_valid)
def test_any_properties_get_one_readable_answer_and_invalid_ones_no_mutating_call(
    stack: Stack, properties: Any
) -> None:
    control.reset_call_counts()
    event = stack.event("Create", {})
    event["ResourceProperties"] = (
        {"ServiceToken": event["ServiceToken"], **properties}
        if isinstance(properties, dict)
        else properties
    )
    response = stack.send(event)  # asserts exactly one response
    assert response["Status"] in ("SUCCESS", "FAILED")
    if response["Status"] == "FAILED":
        assert response["Reason"].strip()
        assert "Traceback" not in response["Reason"]
    if not is_valid(event["ResourceProperties"]):
        assert response["Status"] == "FAILED"
        assert control.mutating_calls() == {}


def valid_event(stack: Stack, request_type: str = "Create") -> dict[str, Any]:
    physical = {"physical_id": "arn:aws:ssm-incidents::123456789012:replication-set/x"}
    return stack.event(
        request_type,
        {"Regions": [{"RegionName": "us-east-1"}]},
        **(physical if request_type != "Create" else {}),
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e.pop("RequestId"), "RequestId: required, a non-empty string"),
        (lambda e: e.pop("StackId"), "StackId: required, a non-empty string"),
        (lambda e: e.pop("LogicalResourceId"), "LogicalResourceId: required"),
        (
            lambda e: e.update(RequestType="Poll"),
            "RequestType: expected Create, Update or Delete, got 'Poll'",
        ),
        (lambda e: e.update(RequestType=None), "RequestType: required"),
        (lambda e: e.update(RequestType="Update"), "PhysicalResourceId: required for Update"),
    ],
    ids=[
        "no-request-id",
        "no-stack-id",
        "no-logical-id",
        "unknown-type",
        "null-type",
        "update-without-physical-id",
    ],
)
def test_malformed_event_with_a_response_url_gets_one_failed_naming_the_field(
    stack: Stack, change: Any, reason: str
) -> None:
    event = valid_event(stack)
    change(event)
    stack.invoke(event)
    assert len(stack.endpoint.deliveries) == 1
    answer = stack.endpoint.deliveries[0].body
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("Malformed CloudFormation event: ")
    assert reason in answer["Reason"]
    assert control.call_counts() == {}


@pytest.mark.parametrize(
    "event",
    [{}, [], "Create", None, {"RequestType": "Create", "RequestId": "r"}],
    ids=["empty", "list", "string", "null", "no-response-url"],
)
def test_malformed_event_without_a_response_url_is_logged_not_raised(
    stack: Stack, logs: CapturedLogs, event: Any
) -> None:
    stack.invoke(event)
    assert stack.endpoint.attempts == 0
    assert "no ResponseURL to answer to" in logs.provider.getvalue()
    assert control.call_counts() == {}


def test_a_malformed_event_never_answers_to_the_previous_requests_url(stack: Stack) -> None:
    good = stack.create({"Regions": [{"RegionName": "us-east-1"}]})
    stack.endpoint.deliveries.clear()
    stack.invoke({"RequestType": "Delete"})  # crhelper alone would reuse the last ResponseURL
    assert stack.endpoint.deliveries == []
    assert good["Status"] == "SUCCESS"


def test_null_properties_on_create_fail_with_the_rule(stack: Stack) -> None:
    event = stack.event("Create", {})
    event["ResourceProperties"] = None
    response = stack.send(event)
    assert (response["Status"], response["Reason"]) == (
        "FAILED",
        "Regions: required: list 1 to 3 regions",
    )
