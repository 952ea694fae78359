"""A set deleted outside the stack while a request reads or changes it: between two reads,
during an adoption, while a Region is added or removed, while it settles. Each is something a
user could meet on AWS; each test says what CloudFormation gets."""

from typing import Any

import boto3
import pytest

from emulator import control
from tests.provider.conftest import (
    HOME,
    MakeKey,
    Stack,
    delete_outside,
    delete_outside_uncounted,
    marked,
    success,
)
from tests.provider.test_create import ONE_REGION, all_sets, replication_set
from tests.provider.test_one_effect import ADOPT
from tests.provider.test_update import regions

#: Not about the age of Region removals: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])
TWO_REGIONS = {"Regions": regions(HOME, "us-west-2")}


def outside() -> Any:
    return boto3.client("ssm-incidents", region_name=HOME)


def updating_outside(arn: str) -> None:
    """Someone adds a Region by hand: the set is UPDATING for 20 s when the stack reads it."""
    control.set_transition_seconds(20)
    outside().update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "us-west-2"}}]
    )


# -- the reads of an update and of an adoption --------------------------------------------------


def test_an_update_whose_set_is_deleted_between_its_two_reads_creates_it_anew(
    stack: Stack,
) -> None:
    """GetReplicationSet found the set; ListTagsForResource then says it is gone."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.after_call("GetReplicationSet", lambda: delete_outside_uncounted(arn))
    wanted = {**ONE_REGION, "Tags": [{"Key": "team", "Value": "sre"}]}
    event = stack.event("Update", wanted, physical_id=arn, old_properties=ONE_REGION)
    answer = stack.send(event)
    [made] = all_sets()
    assert made != arn and answer == success(event, made)
    assert replication_set(made)["tags"] == marked({"team": "sre"})


def test_an_adoption_whose_set_is_deleted_meanwhile_fails_clearly(stack: Stack) -> None:
    arn = stack.create(ONE_REGION, logical_id="Incidents")["PhysicalResourceId"]
    control.after_call("ListReplicationSets", lambda: delete_outside(arn))
    answer = stack.create(ADOPT, logical_id="ReplicationSet")
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"Replication set {arn} was deleted while it was being adopted; retry the stack "
        "operation to create a new one"
    )


def test_an_update_continues_with_the_set_it_recreated_in_its_next_invocation(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    delete_outside(arn)
    control.reset_call_counts()
    control.set_transition_seconds(120)
    control.advance_clock(120)  # the outside deletion is over
    stack.timeout_seconds = 60  # the new set takes longer than one invocation
    answer = stack.update(arn, ONE_REGION, ONE_REGION)
    [made] = all_sets()
    assert made != arn and answer == success(answer, made)
    assert stack.invocations >= 2
    assert control.call_counts()["CreateReplicationSet"] == 1


# -- a Region change: while it is made, while it settles, right after ---------------------------


def test_a_set_deleted_while_a_region_is_being_added_fails_the_update(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.after_call("UpdateReplicationSet", lambda: delete_outside(arn))
    answer = stack.update(arn, TWO_REGIONS, ONE_REGION)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"] == f"replication set {arn} disappeared while the stack was changing it"
    assert all_sets() == []


def test_a_set_deleted_while_it_was_settling_fails_the_update(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    updating_outside(arn)

    def then_deleted() -> None:
        control.advance_clock(20)
        delete_outside(arn)
        control.advance_clock(20)

    control.after_call("GetReplicationSet", lambda: None)  # the update's first read
    control.after_call("GetReplicationSet", then_deleted)  # its first poll
    answer = stack.update(arn, TWO_REGIONS, ONE_REGION)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"] == f"replication set {arn} disappeared while the stack was changing it"


def test_a_set_deleted_right_after_it_settled_fails_the_update(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    updating_outside(arn)

    def deleted_once_active() -> None:
        if outside().get_replication_set(arn=arn)["replicationSet"]["status"] != "ACTIVE":
            control.after_call("GetReplicationSet", deleted_once_active)  # the next poll
            return
        delete_outside(arn)  # between the poll that saw it ACTIVE and the read of its tags
        control.advance_clock(20)
        outside().list_replication_sets()

    control.after_call("GetReplicationSet", deleted_once_active)
    answer = stack.update(arn, TWO_REGIONS, ONE_REGION)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"] == f"replication set {arn} disappeared while the stack was changing it"


def test_a_set_deleted_while_its_failed_region_is_removed_fails_the_update(
    stack: Stack, kms_key: MakeKey
) -> None:
    control.set_failed_region_removable(True)
    east, west = kms_key(HOME), kms_key("us-west-2")
    one = {"Regions": [{"RegionName": HOME, "RegionConfiguration": {"SseKmsKeyId": east}}]}
    arn = stack.create(one)["PhysicalResourceId"]
    two = {
        "Regions": [
            *one["Regions"],
            {"RegionName": "us-west-2", "RegionConfiguration": {"SseKmsKeyId": west}},
        ]
    }
    control.set_transition_reads(1)  # the change ends at the next read
    control.schedule_key_deletion_after("UpdateReplicationSet", west)
    assert stack.update(arn, two, one)["Status"] == "FAILED"  # us-west-2 FAILED
    control.after_call("UpdateReplicationSet", lambda: delete_outside(arn))
    answer = stack.update(arn, one, two)  # the rollback removes the failed Region
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == f"replication set {arn} disappeared while it was being changed"
