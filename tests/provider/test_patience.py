"""Throttling, and for reads the service's 5xx, lasting longer than botocore's attempts: waited
out until the request's deadline (handing off when Lambda time runs low), never given up early.

CloudFormation never retries a custom resource: a request that gave up on a throttled call
would leave the stack in DELETE_FAILED or UPDATE_ROLLBACK for a burst that passes in seconds.
"""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import control
from provider import waiting
from provider.settings import settings as provider_settings
from tests.provider.conftest import Stack, marked, success

#: Faults and Lambda time, not Region ages: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

#: Longer than the 5 attempts botocore makes per call in these tests (conftest.deployment),
#: twice over: two of the provider's own tries fail before the third goes through.
BURST = 12
BEFORE = {"Regions": [{"RegionName": "us-east-1"}], "Tags": [{"Key": "env", "Value": "dev"}]}
AFTER = {
    "Regions": [{"RegionName": "us-east-1"}, {"RegionName": "us-west-2"}],
    "Tags": [{"Key": "env", "Value": "prod"}],
    "DeletionProtected": "true",
}


@pytest.fixture
def whole_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """No jitter: each of the provider's waits is its whole delay (1, 2, 4... 20 s)."""
    monkeypatch.setattr(waiting, "jittered", lambda delay: delay)


def delete_answer(event: dict[str, Any], status: str, reason: str = "") -> dict[str, Any]:
    """The exact body CloudFormation should receive for ``event``, a Delete."""
    return {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": event["PhysicalResourceId"],
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": False,
        "Data": {},
    }


def existing(stack: Stack, properties: dict[str, Any]) -> str:
    arn = str(stack.create(properties)["PhysicalResourceId"])
    control.reset_call_counts()
    stack.clock.slept.clear()
    return arn


def test_a_delete_whose_calls_are_throttled_past_botocores_attempts_succeeds(
    stack: Stack, whole_waits: None
) -> None:
    arn = existing(stack, BEFORE)
    for operation in ("GetReplicationSet", "DeleteReplicationSet"):
        control.inject_fault(operation, "ThrottlingException", count=BURST)
    event = stack.event("Delete", BEFORE, physical_id=arn)
    response = stack.send(event)
    assert response == delete_answer(event, "SUCCESS")
    assert control.replication_set_arns() == []
    assert control.call_counts()["DeleteReplicationSet"] == BURST + 1
    assert stack.clock.slept == [1, 2, 1, 2]  # each burst: two waits, then through


def test_an_update_whose_calls_are_throttled_past_botocores_attempts_succeeds(
    stack: Stack,
) -> None:
    arn = existing(stack, BEFORE)
    for operation in (
        "GetReplicationSet",
        "ListTagsForResource",
        "TagResource",
        "UpdateReplicationSet",
        "UpdateDeletionProtection",
    ):
        control.inject_fault(operation, "ThrottlingException", count=BURST)
    event = stack.event("Update", AFTER, physical_id=arn, old_properties=BEFORE)
    response = stack.send(event)
    assert response == success(event, arn)
    found = control.replication_set() or {}
    assert found["status"] == "ACTIVE"
    assert sorted(found["regionMap"]) == ["us-east-1", "us-west-2"]
    assert found["deletionProtected"] is True
    assert found["tags"] == marked({"env": "prod"})
    # each change made once: a throttled call was refused before it did anything
    assert control.mutating_calls() == {
        "TagResource": BURST + 1,
        "UpdateReplicationSet": BURST + 1,
        "UpdateDeletionProtection": BURST + 1,
    }


def test_a_read_that_keeps_meeting_5xx_is_waited_out(stack: Stack) -> None:
    arn = existing(stack, BEFORE)
    control.inject_fault("GetReplicationSet", "InternalServerException", count=BURST)
    response = stack.delete(arn, BEFORE)
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert control.replication_set_arns() == []


def test_throttling_until_the_deadline_fails_naming_the_call_and_what_to_do(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, whole_waits: None
) -> None:
    arn = existing(stack, BEFORE)
    monkeypatch.setenv("PROVIDER_DEADLINE_SECONDS", "120")
    provider_settings.cache_clear()
    control.inject_fault("GetReplicationSet", "ThrottlingException", count=10_000, message="Rate")
    event = stack.event("Delete", BEFORE, physical_id=arn)
    response = stack.send(event)
    assert response == delete_answer(
        event,
        "FAILED",
        "Incident Manager throttled GetReplicationSet (ThrottlingException: Rate) until the "
        "provider's deadline (PROVIDER_DEADLINE_SECONDS, or the resource's ServiceTimeout): "
        "each of its last 10 tries, over 111 s; retry the stack operation once fewer calls are "
        "made to Incident Manager in this account (another tool may be calling it in a loop), "
        "or ask AWS for a higher request quota",
    )
    assert control.replication_set_arns() == [arn]  # nothing was changed
    assert sum(stack.clock.slept) == 111  # the next wait (20 s) would pass the 120 s


def test_a_burst_when_lambda_time_runs_low_hands_off_and_the_continuation_succeeds(
    stack: Stack, whole_waits: None
) -> None:
    arn = existing(stack, BEFORE)
    stack.timeout_seconds = 90  # the 30 s reserve leaves 60 s of waiting per invocation
    stack.invocations = 0
    # 7 of the provider's tries (35 attempts) fail in the first invocation, waiting 51 s in
    # all; the next wait (20 s) would leave less than the reserve: it hands off.
    control.inject_fault("UpdateReplicationSet", "ThrottlingException", count=40)
    event = stack.event("Update", AFTER, physical_id=arn, old_properties=BEFORE)
    response = stack.send(event)
    assert response == success(event, arn)
    assert stack.invocations == 2
    assert stack.handoffs_left == [90 - 51]
    found = control.replication_set() or {}
    assert (found["status"], sorted(found["regionMap"]), found["deletionProtected"]) == (
        "ACTIVE",
        ["us-east-1", "us-west-2"],
        True,
    )
    assert found["tags"] == marked({"env": "prod"})
    assert control.mutating_calls()["UpdateReplicationSet"] == 41


# -- randomized: bursts in random calls of random lifecycles --------------------------------

HOME_REGION = "us-east-1"
#: The calls each request type makes, that a burst may hit (with a code the call declares).
CALLS = {
    "Create": ("CreateReplicationSet", "GetReplicationSet", "UpdateDeletionProtection"),
    "Update": (
        "GetReplicationSet",
        "ListTagsForResource",
        "TagResource",
        "UntagResource",
        "UpdateReplicationSet",
        "UpdateDeletionProtection",
    ),
    "Delete": (
        "GetReplicationSet",
        "ListTagsForResource",
        "TagResource",
        "UntagResource",
        "DeleteReplicationSet",
    ),
}
READS = {"GetReplicationSet", "ListTagsForResource"}

templates = st.fixed_dictionaries(
    {
        "Regions": st.lists(st.sampled_from(["us-west-2", "eu-west-1"]), unique=True, max_size=2)
        .map(lambda others: [HOME_REGION, *others])
        .map(lambda names: [{"RegionName": name} for name in names]),
        "Tags": st.dictionaries(st.sampled_from(["env", "team"]), st.sampled_from(["a", "b"])).map(
            lambda tags: [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        ),
        "DeletionProtected": st.sampled_from(["true", "false"]),
    }
)


@st.composite
def weather(draw: st.DrawFn, request_type: str) -> dict[str, Any]:
    """What one request meets: bursts in some of its calls (how many of those calls go through
    first: GetReplicationSet is made at each step, the rest once or twice; how many attempts
    fail, up to 6 of the provider's tries; a 5xx instead of throttling for reads), Lambda's
    time (60 s: the 30 s reserve leaves 30 s, less than a long burst's waits), the service's
    pace."""
    bursts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(CALLS[request_type]),
                st.integers(0, 2),
                st.integers(6, 30),
                st.booleans(),
            ).map(lambda b: (b[0], b[1] if b[0] == "GetReplicationSet" else 0, *b[2:])),
            min_size=1,
            max_size=3,
            unique_by=lambda burst: burst[0],
        )
    )
    return {
        "bursts": bursts,
        "timeout": draw(st.sampled_from([60, 900])),
        "transition": draw(st.sampled_from([0, 20])),
    }


def lifecycles() -> st.SearchStrategy[list[tuple[str, dict[str, Any], dict[str, Any]]]]:
    """Create, up to two Updates, Delete: each with its template and its weather; the last
    template unprotected, so that the Delete deletes."""

    def shaped(drawn: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        drawn[-1] = {**drawn[-1], "DeletionProtected": "false"}
        kinds = ["Create"] + ["Update"] * (len(drawn) - 1)
        return [*zip(kinds, drawn, strict=True), ("Delete", drawn[-1])]

    steps = st.lists(templates, min_size=1, max_size=3).map(shaped)
    return steps.flatmap(
        lambda shape: st.tuples(*(weather(kind) for kind, _ in shape)).map(
            lambda skies: [
                (kind, template, sky) for (kind, template), sky in zip(shape, skies, strict=True)
            ]
        )
    )


def expect_live_equals(template: dict[str, Any], arn: str) -> None:
    found = control.replication_set()
    assert found is not None and found["arn"] == arn
    assert found["status"] == "ACTIVE"
    assert sorted(found["regionMap"]) == sorted(r["RegionName"] for r in template["Regions"])
    assert found["deletionProtected"] is (template["DeletionProtected"] == "true")
    assert found["tags"] == marked({t["Key"]: t["Value"] for t in template["Tags"]})


def test_random_bursts_in_random_lifecycles_are_waited_out(stack: Stack) -> None:
    """Every request answered once (Stack.send), SUCCESS (a burst of seconds is no reason to
    fail), and the live set then the template: bursts longer than botocore's attempts, in any
    call a Create, Update or Delete makes, also when Lambda time runs low."""

    @given(lifecycle=lifecycles())
    @settings(
        max_examples=6,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(lifecycle: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
        control.backend().reset()
        arn = ""  # the set's, once created
        before: dict[str, Any] = {}  # the template it was last given
        for kind, template, sky in lifecycle:
            for operation, after, count, five_hundred in sky["bursts"]:
                code = "ThrottlingException"
                if five_hundred and operation in READS:
                    code = "InternalServerException"
                control.inject_fault(operation, code, count=count, after=after)
            control.set_transition_seconds(sky["transition"])
            stack.timeout_seconds = sky["timeout"]
            if kind == "Create":
                response = stack.create(template)
            elif kind == "Update":
                response = stack.update(arn, template, old=before)
            else:
                response = stack.delete(arn, template)
            control.clear_faults()
            assert response["Status"] == "SUCCESS", f"{kind}: {response['Reason']}"
            if kind == "Delete":
                assert control.replication_set_arns() == []
            else:
                arn, before = response["PhysicalResourceId"], template
                expect_live_equals(template, arn)

    run()
