"""Randomized stack lifecycles: hypothesis plays CloudFormation against the real handler.

Each step is a stack operation as CloudFormation runs it (create and its rollback Delete; update,
its rollback Update with old and new swapped, continue-update-rollback, the cleanup Delete of a
replaced ID; delete, retained or refused by deletion protection), under what an account meets:
random properties (some invalid), Incident Manager faults for one operation (transient or for
good), slow transitions with short Lambda time (continuations), refused self-invokes, redelivered
events and changes made outside the stack. After every request: exactly one answer; SUCCESS
means the live set equals the template; invalid input made no mutating call; no set exists that
no stack's physical ID names (or that a retain kept).

Bounded for `make test` (derandomized, a few seconds); `make explore` runs many more, at random.
"""

import os
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from emulator import control
from tests.provider.conftest import HOME, Stack

OTHER_REGIONS = ("us-west-2", "eu-west-1")
FAULTY = {
    "GetReplicationSet": ("ThrottlingException", "AccessDeniedException"),
    "CreateReplicationSet": ("InternalServerException", "AccessDeniedException"),
    "UpdateReplicationSet": ("ThrottlingException", "ConflictException"),
    "UpdateDeletionProtection": ("AccessDeniedException",),
    "DeleteReplicationSet": ("InternalServerException", "AccessDeniedException"),
    "TagResource": ("ConflictException",),
}
EXAMPLES = int(os.environ.get("LIFECYCLE_EXAMPLES", "25"))

properties = st.fixed_dictionaries(
    {
        "Regions": st.lists(st.sampled_from(OTHER_REGIONS), unique=True, max_size=2).map(
            lambda others: [{"RegionName": r} for r in (HOME, *others)]
        ),
        "Tags": st.dictionaries(
            st.sampled_from(["team", "env", "cost"]), st.sampled_from(["a", "b"]), max_size=2
        ).map(lambda tags: [{"Key": k, "Value": v} for k, v in tags.items()]),
        "DeletionProtected": st.sampled_from(["true", "false"]),
    }
)
#: What CloudFormation would pass from a broken template: the provider must refuse it unchanged.
conditions = st.fixed_dictionaries(
    {
        "fault": st.none()
        | st.tuples(st.sampled_from(sorted(FAULTY)), st.integers(0, 1), st.booleans()),
        "slow": st.sampled_from([0, 30, 200]),
        "refuse_self_invoke": st.booleans(),
    }
)
invalid = st.sampled_from(
    [
        {"Regions": [{"RegionName": "us-west-2"}]},
        {"Regions": [{"RegionName": HOME}], "Tags": [{"Key": "aws:x", "Value": "y"}]},
        {"Regions": []},
    ]
)


def is_valid(props: dict[str, Any]) -> bool:
    return any(r["RegionName"] == HOME for r in props.get("Regions", [])) and not any(
        t["Key"].startswith("aws:") for t in props.get("Tags", [])
    )


class CloudFormation(RuleBasedStateMachine):
    """One stack with one Custom::IncidentReplicationSet, driven as CloudFormation drives it."""

    stack: Stack  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        control.backend().reset()
        control.set_region_removal_min_age(0)
        self.physical_id: str | None = None
        self.template: dict[str, Any] | None = None
        self.retained: set[str] = set()
        self.last_success: tuple[str, dict[str, Any]] | None = None
        self.stack.timeout_seconds = 900
        self.stack.refuse_self_invoke = False

    # -- what one request meets ----------------------------------------------------------

    def send(self, event: dict[str, Any]) -> dict[str, Any]:
        control.reset_call_counts()
        response = self.stack.send(event)  # asserts exactly one answer
        if event["RequestType"] != "Delete" and not is_valid(event["ResourceProperties"]):
            assert response["Status"] == "FAILED"
            assert control.mutating_calls() == {}, "invalid input made a mutating call"
        self.calm()
        return response

    def redeliver(self, event: dict[str, Any]) -> dict[str, Any]:
        """The same event again: exactly one more answer."""
        seen = len(self.stack.endpoint.for_request(event["RequestId"]))
        pending = [event]
        while pending:
            self.stack.invoke(pending.pop(0))
            pending += self.stack.continuations
            self.stack.continuations.clear()
        answers = self.stack.endpoint.for_request(event["RequestId"])[seen:]
        assert len(answers) == 1, f"CloudFormation received {len(answers)} more answers"
        self.calm()
        return answers[0]

    def calm(self) -> None:
        """Faults and slowness last one request; the next starts clean."""
        control.clear_faults()
        control.set_transition_seconds(0)
        control.advance_clock(3600)
        self.stack.timeout_seconds = 900
        self.stack.refuse_self_invoke = False

    def expect_live_equals(self, props: dict[str, Any], arn: str) -> None:
        found = control.replication_set()
        assert found is not None and found["arn"] == arn
        assert found["status"] == "ACTIVE"
        assert sorted(found["regionMap"]) == sorted(r["RegionName"] for r in props["Regions"])
        tags = {k: v for k, v in found["tags"].items() if not k.startswith("aws:")}
        assert tags == {t["Key"]: t["Value"] for t in props.get("Tags", [])}
        assert found["deletionProtected"] is (props.get("DeletionProtected") == "true")

    # -- conditions for the next request ----------------------------------------------------

    def weather(self, conditions: dict[str, Any]) -> None:
        """What the next request meets: a fault for one operation (transient or for good),
        slow transitions with short Lambda time (continuations), a refused self-invoke."""
        if conditions["fault"]:
            operation, index, lasting = conditions["fault"]
            code = FAULTY[operation][index % len(FAULTY[operation])]
            control.inject_fault(operation, code, count=100 if lasting else 1)
        if conditions["slow"]:
            control.set_transition_seconds(conditions["slow"])
            self.stack.timeout_seconds = 90
        self.stack.refuse_self_invoke = conditions["refuse_self_invoke"]

    # -- changes outside the stack ----------------------------------------------------------

    @precondition(lambda self: self.physical_id is not None)
    @rule(kind=st.sampled_from(["tag", "remove-region", "delete-set"]))
    def drift(self, kind: str) -> None:
        found = control.replication_set()
        if found is None or found["arn"] != self.physical_id or found["status"] != "ACTIVE":
            return
        client = boto3.client("ssm-incidents", region_name=HOME)
        arn = found["arn"]
        others = [r for r in found["regionMap"] if r != HOME]
        if kind == "tag":
            client.tag_resource(resourceArn=arn, tags={"team": "by-hand"})
        elif kind == "remove-region" and others:
            action = {"deleteRegionAction": {"regionName": others[0]}}
            client.update_replication_set(arn=arn, actions=[action])  # type: ignore[list-item]
        elif kind == "delete-set" and not found["deletionProtected"]:
            client.delete_replication_set(arn=arn)
        control.advance_clock(3600)

    # -- stack operations -------------------------------------------------------------------

    @precondition(lambda self: self.physical_id is None)
    @rule(props=st.one_of(properties, invalid), redeliver=st.booleans(), weather=conditions)
    def create_stack(self, props: dict[str, Any], redeliver: bool, weather: Any) -> None:
        event = self.stack.event("Create", props)
        self.weather(weather)
        response = self.send(event)
        if redeliver and response["Status"] == "SUCCESS":
            again = self.redeliver(event)  # CloudFormation may deliver an event twice
            assert (again["Status"], again["PhysicalResourceId"]) == (
                "SUCCESS",
                response["PhysicalResourceId"],
            )
        if response["Status"] == "SUCCESS":
            self.physical_id, self.template = response["PhysicalResourceId"], props
            self.expect_live_equals(props, response["PhysicalResourceId"])
            return
        # ROLLBACK: CloudFormation deletes whatever ID the failed Create answered with.
        rollback = self.send(
            self.stack.event("Delete", props, physical_id=response["PhysicalResourceId"])
        )
        if rollback["Status"] != "SUCCESS":
            self.retained.add(response["PhysicalResourceId"])  # ROLLBACK_FAILED: kept by hand

    @precondition(lambda self: self.physical_id is not None)
    @rule(props=st.one_of(properties, invalid), weather=conditions)
    def update_stack(self, props: dict[str, Any], weather: Any) -> None:
        assert self.physical_id is not None and self.template is not None
        self.weather(weather)
        old_id, old = self.physical_id, self.template
        response = self.send(
            self.stack.event("Update", props, physical_id=old_id, old_properties=old)
        )
        if response["Status"] == "SUCCESS":
            self.expect_live_equals(props, response["PhysicalResourceId"])
            self.physical_id, self.template = response["PhysicalResourceId"], props
            if response["PhysicalResourceId"] != old_id:  # cleanup: delete the replaced ID
                cleanup = self.send(self.stack.event("Delete", old, physical_id=old_id))
                assert cleanup["Status"] == "SUCCESS", cleanup["Reason"]
            return
        # UPDATE_ROLLBACK: the old properties, the old ID, old and new swapped.
        back = self.send(self.stack.event("Update", old, physical_id=old_id, old_properties=props))
        if back["Status"] == "SUCCESS":
            self.expect_live_equals(old, back["PhysicalResourceId"])
            self.physical_id = back["PhysicalResourceId"]
        # else UPDATE_ROLLBACK_FAILED, then continue-update-rollback skipping the resource:
        # the stack keeps the old ID and properties; the next update reconciles.

    @precondition(lambda self: self.physical_id is not None)
    @rule(retain=st.booleans(), weather=conditions)
    def delete_stack(self, retain: bool, weather: Any) -> None:
        assert self.physical_id is not None and self.template is not None
        self.weather(weather)
        if retain:  # DeletionPolicy: Retain: CloudFormation sends nothing
            self.retained.add(self.physical_id)
            self.calm()
        else:
            response = self.send(
                self.stack.event("Delete", self.template, physical_id=self.physical_id)
            )
            if response["Status"] != "SUCCESS":
                # DELETE_FAILED (protection or a fault): delete again with --retain-resources
                self.retained.add(self.physical_id)
            else:
                assert self.physical_id not in control.replication_set_arns()
        self.physical_id, self.template = None, None

    # -- what must always hold ---------------------------------------------------------------

    @invariant()
    def nothing_orphaned(self) -> None:
        owned = self.retained | ({self.physical_id} if self.physical_id else set())
        for arn in control.replication_set_arns():
            assert arn in owned, f"replication set {arn} belongs to no stack (orphaned)"

    @invariant()
    def never_without_a_region(self) -> None:
        found = control.replication_set()
        assert found is None or len(found["regionMap"]) >= 1


@pytest.mark.parametrize("removal_rule", ["removals-any-time"])
def test_random_stack_lifecycles_keep_one_answer_the_template_and_no_orphan(stack: Stack) -> None:
    CloudFormation.stack = stack
    run_state_machine_as_test(
        CloudFormation,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=8,
            deadline=None,
            derandomize=EXAMPLES <= 25,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
