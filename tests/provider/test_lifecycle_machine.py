"""Randomized stack lifecycles: hypothesis plays CloudFormation and Lambda against the real
handler.

Two stacks, each with up to two Custom::IncidentReplicationSet resources (a logical ID and its
rename), driven as CloudFormation drives them: create and its rollback Delete; update, its
rollback Update with old and new swapped, continue-update-rollback, the cleanup Delete of a
replaced ID; a rename (the new logical ID adopts the set, the old one's cleanup Delete
follows); adoption into the other stack; delete, retained or refused by deletion protection.
Lambda's side: faults for one operation (transient or for good), slow transitions with short
Lambda time (continuations), refused self-invokes, a call that outlasts the invocation
(crhelper's timer answers, Lambda retries the invocation twice), and any earlier event
delivered again, late (a duplicate, or an old request after the stack moved on). Changes
outside the stack too.

After every request: one answer (a repeat is the same answer); SUCCESS means the live set
equals the template; invalid input and repeated deliveries make no mutating call; no set is
deleted while another resource manages it; no set exists that no resource or retain holds.

Bounded for `make test` (derandomized, a few seconds); `make explore` runs many more, at random.
"""

import os
from dataclasses import dataclass
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
from local_cloudformation.protocol import STACK_ID
from provider.ownership import CLAIM, template_tags
from tests.provider.conftest import HOME, Stack

OTHER_REGIONS = ("us-west-2", "eu-west-1")
STACKS = (STACK_ID, STACK_ID.replace("stack/incidents/", "stack/other/"))
LOGICAL_IDS = ("ReplicationSet", "Renamed")
FAULTY = {
    "GetReplicationSet": ("ThrottlingException", "AccessDeniedException"),
    "CreateReplicationSet": ("InternalServerException", "AccessDeniedException"),
    "UpdateReplicationSet": ("ThrottlingException", "ConflictException"),
    "UpdateDeletionProtection": ("AccessDeniedException",),
    "DeleteReplicationSet": ("InternalServerException", "AccessDeniedException"),
    "TagResource": ("ConflictException",),
}
#: Calls that can outlast an invocation (a hung connection: crhelper's timer answers).
HANGING = ("CreateReplicationSet", "GetReplicationSet", "UpdateDeletionProtection", "TagResource")
EXAMPLES = int(os.environ.get("LIFECYCLE_EXAMPLES", "25"))

Key = tuple[str, str]  # (StackId, LogicalResourceId)

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
conditions = st.fixed_dictionaries(
    {
        "fault": st.none()
        | st.tuples(st.sampled_from(sorted(FAULTY)), st.integers(0, 1), st.booleans()),
        "slow": st.sampled_from([0, 30, 200]),
        "refuse_self_invoke": st.booleans(),
        "hang": st.none() | st.sampled_from(HANGING),
    }
)
#: What CloudFormation would pass from a broken template: the provider must refuse it unchanged.
invalid = st.sampled_from(
    [
        {"Regions": [{"RegionName": "us-west-2"}]},
        {"Regions": [{"RegionName": HOME}], "Tags": [{"Key": "aws:x", "Value": "y"}]},
        {"Regions": []},
    ]
)
keys = st.tuples(st.sampled_from(STACKS), st.sampled_from(LOGICAL_IDS))


def is_valid(props: dict[str, Any]) -> bool:
    return any(r["RegionName"] == HOME for r in props.get("Regions", [])) and not any(
        t["Key"].startswith("aws:") for t in props.get("Tags", [])
    )


@dataclass
class Resource:
    physical_id: str
    template: dict[str, Any]


class CloudFormation(RuleBasedStateMachine):
    """Two stacks of Custom::IncidentReplicationSet resources, as CloudFormation drives them."""

    stack: Stack  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        control.backend().reset()
        control.set_region_removal_min_age(0)
        self.resources: dict[Key, Resource] = {}
        #: who manages each set, oldest first, as the README says the provider keeps it
        self.managers: dict[str, list[Key]] = {}
        self.retained: set[str] = set()
        self.delivered: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.calm()

    # -- what one request meets ----------------------------------------------------------

    def send(self, event: dict[str, Any]) -> dict[str, Any]:
        control.reset_call_counts()
        before = set(control.replication_set_arns())
        response = self.stack.send(event)  # one answer; a repeat (Lambda's retry) the same
        if event["RequestType"] != "Delete" and not is_valid(event["ResourceProperties"]):
            assert response["Status"] == "FAILED"
            assert control.mutating_calls() == {}, "invalid input made a mutating call"
        key = (event["StackId"], event["LogicalResourceId"])
        for arn in before - set(control.replication_set_arns()):
            line = self.managers.pop(arn, None)
            assert event["RequestType"] in ("Delete", "Update"), f"a Create deleted {arn}"
            assert line in (None, [key]), f"{key} deleted {arn}, which {line} manage"
        self.delivered.append((event, response))
        self.calm()
        return response

    def calm(self) -> None:
        """Faults and slowness last one request; the next starts clean."""
        control.clear_faults()
        control.set_transition_seconds(0)
        control.advance_clock(3600)
        self.stack.timeout_seconds = 900
        self.stack.refuse_self_invoke = False
        self.stack.call_seconds.clear()
        self.stack.lambda_retries = 0

    def weather(self, conditions: dict[str, Any]) -> None:
        if conditions["fault"]:
            operation, index, lasting = conditions["fault"]
            code = FAULTY[operation][index % len(FAULTY[operation])]
            control.inject_fault(operation, code, count=100 if lasting else 1)
        if conditions["slow"]:
            control.set_transition_seconds(conditions["slow"])
            self.stack.timeout_seconds = 90
        if conditions["hang"]:  # the call outlasts the invocation; Lambda retries it twice
            self.stack.timeout_seconds = 90
            self.stack.call_seconds[conditions["hang"]] = 95
            self.stack.lambda_retries = 2
        self.stack.refuse_self_invoke = conditions["refuse_self_invoke"]

    def expect_live_equals(self, props: dict[str, Any], arn: str) -> None:
        found = control.replication_set()
        assert found is not None and found["arn"] == arn
        assert found["status"] == "ACTIVE"
        assert sorted(found["regionMap"]) == sorted(r["RegionName"] for r in props["Regions"])
        tags = {k: v for k, v in template_tags(found["tags"]).items() if not k.startswith("aws:")}
        assert tags == {t["Key"]: t["Value"] for t in props.get("Tags", [])}
        assert not any(k.startswith(CLAIM) for k in found["tags"]), "a claim outlived its request"
        assert found["deletionProtected"] is (props.get("DeletionProtected") == "true")

    def event(self, request_type: str, key: Key, props: dict[str, Any], **kw: Any) -> Any:
        return self.stack.event(request_type, props, stack_id=key[0], logical_id=key[1], **kw)

    # -- the model of who manages a set ----------------------------------------------------

    def manages(self, key: Key, arn: str) -> bool:
        line = self.managers.get(arn)
        return not line or line[-1] == key

    def released(self, key: Key, arn: str) -> None:
        line = self.managers.get(arn)
        if line and key in line:
            line.remove(key)
        if line == []:
            del self.managers[arn]

    def delete(self, key: Key, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        response = self.send(self.event("Delete", key, props, physical_id=physical_id))
        if response["Status"] == "SUCCESS":
            self.released(key, physical_id)
        return response

    # -- changes outside the stack ----------------------------------------------------------

    @precondition(lambda self: bool(self.resources))
    @rule(kind=st.sampled_from(["tag", "remove-region", "delete-set"]))
    def drift(self, kind: str) -> None:
        found = control.replication_set()
        if found is None or found["status"] != "ACTIVE":
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
            self.managers.pop(arn, None)
        control.advance_clock(3600)

    # -- stack operations -------------------------------------------------------------------

    @rule(key=keys, props=st.one_of(properties, invalid), adopt=st.booleans(), weather=conditions)
    def create(self, key: Key, props: dict[str, Any], adopt: bool, weather: Any) -> None:
        """A stack gains a resource (its first, or adopting into the other stack)."""
        if key in self.resources:
            return
        props = {**props, "AdoptExisting": "true"} if adopt else props
        existing = control.replication_set_arns()
        self.weather(weather)
        response = self.send(self.event("Create", key, props))
        arn = response["PhysicalResourceId"]
        if response["Status"] == "SUCCESS":
            self.resources[key] = Resource(arn, props)
            self.expect_live_equals(props, arn)
            line = [k for k in self.managers.get(arn, []) if k != key] if arn in existing else []
            self.managers[arn] = [*line, key]
            return
        if arn.startswith("arn:") and arn not in existing:
            self.managers[arn] = [key]  # it made the set, then failed: its rollback deletes it
        rollback = self.delete(key, arn, props)  # ROLLBACK: delete whatever ID it answered
        if rollback["Status"] != "SUCCESS":
            self.retained.add(arn)  # ROLLBACK_FAILED, then deleted with --retain-resources

    @rule(key=keys, props=st.one_of(properties, invalid), weather=conditions)
    def update(self, key: Key, props: dict[str, Any], weather: Any) -> None:
        if key not in self.resources:
            return
        resource = self.resources[key]
        old_id, old = resource.physical_id, resource.template
        props = (
            {**props, "AdoptExisting": old["AdoptExisting"]} if "AdoptExisting" in old else props
        )
        manager = self.manages(key, old_id)
        self.weather(weather)
        response = self.send(
            self.event("Update", key, props, physical_id=old_id, old_properties=old)
        )
        if response["Status"] == "SUCCESS":
            assert manager, f"{key} changed a set that {self.managers[old_id]} manage"
            new_id = response["PhysicalResourceId"]
            self.expect_live_equals(props, new_id)
            self.resources[key] = Resource(new_id, props)
            if new_id != old_id:  # re-created: cleanup deletes the replaced ID
                self.managers[new_id] = [key]
                assert self.delete(key, old_id, old)["Status"] == "SUCCESS"
            else:
                self.managers.setdefault(old_id, [key])
            return
        # UPDATE_ROLLBACK: the old properties, the old ID, old and new swapped.
        back = self.send(self.event("Update", key, old, physical_id=old_id, old_properties=props))
        if not manager and old_id in control.replication_set_arns():
            # another resource manages the set: this one changed nothing, and its rollback has
            # nothing to undo (the set is the manager's template, not this one's)
            assert back["Status"] == "SUCCESS" and control.mutating_calls() == {}, back
            return
        if back["Status"] == "SUCCESS":
            back_id = back["PhysicalResourceId"]
            self.expect_live_equals(old, back_id)
            self.resources[key] = Resource(back_id, old)
            if back_id != old_id:  # the rollback re-created a set gone meanwhile: its cleanup
                self.managers[back_id] = [key]  # deletes the replaced ID, as after an update
                assert self.delete(key, old_id, old)["Status"] == "SUCCESS"
            else:
                self.managers.setdefault(old_id, [key])
        # else UPDATE_ROLLBACK_FAILED, then continue-update-rollback skipping the resource.

    @rule(key=keys, weather=conditions)
    def rename(self, key: Key, weather: Any) -> None:
        """The template renames the resource: the new logical ID adopts the set, then the
        update's cleanup deletes the old logical ID (or its rollback, the new one)."""
        renamed = (key[0], LOGICAL_IDS[1 - LOGICAL_IDS.index(key[1])])
        if key not in self.resources or renamed in self.resources:
            return
        resource = self.resources[key]
        props = {**resource.template, "AdoptExisting": "true"}
        existing = control.replication_set_arns()
        self.weather(weather)
        response = self.send(self.event("Create", renamed, props))
        arn = response["PhysicalResourceId"]
        if response["Status"] == "SUCCESS":
            self.expect_live_equals(props, arn)
            line = (
                [k for k in self.managers.get(arn, []) if k != renamed] if arn in existing else []
            )
            self.managers[arn] = [*line, renamed]
            cleanup = self.delete(key, resource.physical_id, resource.template)
            assert cleanup["Status"] == "SUCCESS", cleanup["Reason"]
            if arn == resource.physical_id:
                assert arn in control.replication_set_arns(), "the rename lost the set"
            del self.resources[key]
            self.resources[renamed] = Resource(arn, props)
            return
        if arn.startswith("arn:") and arn not in existing:
            self.managers[arn] = [renamed]
        if self.delete(renamed, arn, props)["Status"] != "SUCCESS":
            self.retained.add(arn)

    @rule(key=keys, retain=st.booleans(), weather=conditions)
    def delete_stack(self, key: Key, retain: bool, weather: Any) -> None:
        if key not in self.resources:
            return
        resource = self.resources.pop(key)
        self.weather(weather)
        if retain:  # DeletionPolicy: Retain: CloudFormation sends nothing
            self.retained.add(resource.physical_id)
            self.calm()
            return
        response = self.delete(key, resource.physical_id, resource.template)
        if response["Status"] != "SUCCESS":
            # DELETE_FAILED (protection or a fault): delete again with --retain-resources
            self.retained.add(resource.physical_id)

    @precondition(lambda self: bool(self.delivered))
    @rule(pick=st.integers(min_value=0), weather=conditions)
    def deliver_again(self, pick: int, weather: Any) -> None:
        """Lambda delivers an earlier event again: at once (a duplicate) or after the stack
        moved on (late). It changes nothing, and at most repeats the answer it had."""
        event, first = self.delivered[pick % len(self.delivered)]
        self.weather(weather)
        control.reset_call_counts()
        seen = len(self.stack.endpoint.for_request(event["RequestId"]))
        pending = [event]
        while pending:
            self.stack.invoke(pending.pop(0))
            pending += self.stack.continuations
            self.stack.continuations.clear()
        again = self.stack.endpoint.for_request(event["RequestId"])[seen:]
        assert all(answer == first for answer in again), f"a new answer: {again} != {first}"
        assert control.mutating_calls() == {}, "a repeated delivery changed the set"
        self.calm()

    # -- what must always hold ---------------------------------------------------------------

    @invariant()
    def nothing_orphaned(self) -> None:
        held = self.retained | {r.physical_id for r in self.resources.values()}
        for arn in control.replication_set_arns():
            assert arn in held, f"replication set {arn} belongs to no stack (orphaned)"

    @invariant()
    def never_without_a_region(self) -> None:
        found = control.replication_set()
        assert found is None or len(found["regionMap"]) >= 1


@pytest.mark.parametrize("removal_rule", ["removals-any-time"])
def test_random_stack_lifecycles_keep_one_effect_the_template_and_no_orphan(
    stack: Stack,
) -> None:
    CloudFormation.stack = stack
    run_state_machine_as_test(
        CloudFormation,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            derandomize=EXAMPLES <= 25,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
