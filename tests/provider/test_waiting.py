"""Waiting past one invocation, and giving up at the deadline with one clear FAILED; Lambda's
time running out, and crhelper's timer."""

import boto3
import pytest

from emulator import control
from provider import app
from provider.settings import settings
from tests.provider.conftest import HOME, Stack, marked, success
from tests.provider.test_create import ONE_REGION, all_sets, replication_set
from tests.provider.test_update import regions

#: No Region is removed here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])
TWO_REGIONS = {"Regions": regions(HOME, "us-west-2")}


def test_slow_creation_continues_in_a_new_invocation_and_answers_once(stack: Stack) -> None:
    control.set_transition_seconds(200)
    stack.timeout_seconds = 90  # each invocation can wait about 60 s before handing off
    response = stack.create(ONE_REGION)
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == all_sets()[0]
    # Each 90 s invocation waits about 60 s and hands off with the 30 s reserve left (no
    # later: crhelper's timer would answer first), less than one 5 s poll more.
    assert stack.invocations == 4, stack.handoffs_left
    assert len(stack.handoffs_left) == 3
    assert all(30 <= left <= 35 for left in stack.handoffs_left), stack.handoffs_left
    # The continuations carry the ARN: CreateReplicationSet is never issued again.
    assert control.call_counts()["CreateReplicationSet"] == 1


def test_slow_delete_continues_in_a_new_invocation(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    stack.invocations = 0
    assert stack.delete(arn)["Status"] == "SUCCESS"
    assert stack.invocations >= 2
    assert all_sets() == []


def test_creation_past_the_deadline_fails_clearly_and_keeps_the_arn(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVIDER_DEADLINE_SECONDS", "120")
    settings.cache_clear()
    control.set_transition_seconds(3600)
    stack.timeout_seconds = 60
    response = stack.create(ONE_REGION)
    arn = all_sets()[0]
    assert response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == arn
    assert response["Reason"].startswith(
        f"replication set {arn} was still CREATING when the provider's deadline passed"
    )
    assert stack.clock.time() - 1_800_000_000.0 <= 120


def test_service_timeout_shortens_the_deadline(stack: Stack) -> None:
    control.set_transition_seconds(3600)
    response = stack.create({**ONE_REGION, "ServiceTimeout": "60"})
    assert response["Status"] == "FAILED"
    assert "deadline passed" in response["Reason"]
    assert sum(stack.clock.slept) <= 50


def test_update_waits_for_a_set_still_updating(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.set_transition_seconds(30)
    boto3.client("ssm-incidents", region_name="us-east-1").update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "us-east-2"}}]
    )
    control.reset_call_counts()
    response = stack.update(
        arn,
        {
            "Regions": [{"RegionName": "us-east-1"}, {"RegionName": "us-east-2"}],
            "Tags": [{"Key": "a", "Value": "b"}],
        },
    )
    assert response["Status"] == "SUCCESS", response["Reason"]
    found = control.replication_set() or {}
    assert (found["status"], sorted(found["regionMap"]), found["tags"]) == (
        "ACTIVE",
        ["us-east-1", "us-east-2"],
        marked({"a": "b"}),
    )
    assert sum(stack.clock.slept) >= 30  # it waited out the change in progress, not a Conflict
    assert control.mutating_calls() == {"TagResource": 1}  # the region was already on its way


# -- Lambda's time and crhelper's timer ---------------------------------------------------------


def test_calls_that_use_up_lambdas_time_hand_off_before_the_next_call(stack: Stack) -> None:
    old = {**ONE_REGION, "Tags": [{"Key": "old", "Value": "1"}]}
    arn = stack.create(old)["PhysicalResourceId"]
    stack.timeout_seconds = 60  # a 30 s reserve
    for operation in ("TagResource", "UntagResource", "UpdateDeletionProtection"):
        stack.call_seconds[operation] = 20
    wanted = {**ONE_REGION, "Tags": [{"Key": "new", "Value": "2"}], "DeletionProtected": "true"}
    event = stack.event("Update", wanted, physical_id=arn, old_properties=old)
    assert stack.send(event) == success(event, arn)
    # two 20 s calls left 20 s: the third is made in a new invocation
    assert stack.handoffs_left == [20] and stack.invocations == 3
    found = replication_set(arn)
    assert (found["tags"], found["deletionProtected"]) == (marked({"new": "2"}), True)


def test_crhelpers_timer_during_a_plain_update_answers_failed_at_once(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    stack.timeout_seconds = 40
    stack.hang_once["UpdateReplicationSet"] = 45  # the call outlasts the invocation
    before = stack.invocations
    answer = stack.update(arn, TWO_REGIONS, ONE_REGION)
    assert (answer["Status"], answer["Reason"]) == ("FAILED", "Execution timed out")
    assert stack.invocations - before == 1 and stack.handoffs_left == []  # answered at once
    assert answer["PhysicalResourceId"] == arn
    assert stack.timed_out == 1 and stack.clock.fired == [0.5]
    assert sorted(replication_set(arn)["regionMap"]) == [HOME]  # the hung call never landed


def test_a_request_that_never_finishes_gives_up_after_max_steps(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "MAX_STEPS", 2)
    control.set_transition_seconds(10**6)  # never ACTIVE within the deadline
    stack.timeout_seconds = 60
    answer = stack.create(ONE_REGION)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("The request took 2 invocations without finishing")
    assert answer["PhysicalResourceId"] == all_sets()[0]
    assert stack.invocations == 3
