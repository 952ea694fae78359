"""Exactly one effect per CloudFormation request, and no set deleted that another resource
manages: each path of issue 16, as CloudFormation and Lambda deliver it."""

from typing import Any

import boto3
import pytest

from emulator import control
from local_cloudformation.protocol import STACK_ID
from tests.provider.conftest import MakeKey, Stack, marked, success
from tests.provider.test_create import ONE_REGION, all_sets, replication_set

#: Faults and deliveries, not Region ages: one reading of the assumed 24-hour rule is enough
#: (the tests of Region changes run under both).
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

ADOPT = {**ONE_REGION, "AdoptExisting": "true"}
OTHER_STACK = STACK_ID.replace("stack/incidents/", "stack/other/")


def tags(count: int, prefix: str = "k") -> list[dict[str, str]]:
    return [{"Key": f"{prefix}{n}", "Value": "v"} for n in range(count)]


# -- 1, 2: who manages the set --------------------------------------------------------------


def test_a_renamed_resource_keeps_the_set_it_adopted(stack: Stack) -> None:
    arn = stack.create(ONE_REGION, logical_id="Incidents")["PhysicalResourceId"]
    # The template renames Incidents to ReplicationSet: CloudFormation creates the new one...
    refused = stack.create(ONE_REGION, logical_id="ReplicationSet")
    assert refused["Status"] == "FAILED" and "set AdoptExisting: true" in refused["Reason"]
    adopted = stack.create(ADOPT, logical_id="ReplicationSet")
    assert (adopted["Status"], adopted["PhysicalResourceId"]) == ("SUCCESS", arn)
    # ...and its cleanup deletes the old logical ID, with the same ARN.
    control.reset_call_counts()
    cleanup = stack.send(stack.event("Delete", ONE_REGION, physical_id=arn, logical_id="Incidents"))
    assert cleanup == {**success(cleanup, arn), "Data": {}}
    # The old logical ID only leaves the line of resources the set goes back to: its claim,
    # then the line's tag and the claim removed together.
    assert all_sets() == [arn]
    assert control.mutating_calls() == {"TagResource": 1, "UntagResource": 1}
    assert replication_set(arn)["tags"] == marked({})
    # The new logical ID manages it now: its Delete deletes the set.
    gone = stack.send(stack.event("Delete", ADOPT, physical_id=arn, logical_id="ReplicationSet"))
    assert gone["Status"] == "SUCCESS" and all_sets() == []


def test_adopting_into_another_stack_survives_deleting_the_first(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    assert stack.create(ADOPT, stack_id=OTHER_STACK)["PhysicalResourceId"] == arn
    first_goes = stack.send(stack.event("Delete", ONE_REGION, physical_id=arn))
    assert first_goes["Status"] == "SUCCESS" and all_sets() == [arn]
    # The other stack manages the set, and may change it.
    wanted = {**ADOPT, "Tags": [{"Key": "team", "Value": "other"}]}
    changed = stack.send(
        stack.event("Update", wanted, physical_id=arn, old_properties=ADOPT, stack_id=OTHER_STACK)
    )
    assert changed["Status"] == "SUCCESS"
    assert replication_set(arn)["tags"] == marked({"team": "other"}, OTHER_STACK)


def test_an_update_from_a_resource_that_no_longer_manages_the_set_names_the_manager(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    stack.create(ADOPT, stack_id=OTHER_STACK)
    control.reset_call_counts()
    wanted = {**ONE_REGION, "Tags": [{"Key": "team", "Value": "first"}]}
    refused = stack.update(arn, wanted, ONE_REGION)
    assert refused["Status"] == "FAILED"
    assert refused["PhysicalResourceId"] == arn
    assert refused["Reason"].startswith(
        f"Replication set {arn} is managed by resource ReplicationSet of stack other "
        f"({OTHER_STACK}), which adopted it (AdoptExisting)"
    )
    assert control.mutating_calls() == {}
    assert replication_set(arn)["tags"] == marked(
        {}, OTHER_STACK, line=((STACK_ID, "ReplicationSet"),)
    )


def test_the_rollback_of_an_adoption_hands_the_set_back(stack: Stack) -> None:
    arn = stack.create(ONE_REGION, logical_id="Incidents")["PhysicalResourceId"]
    stack.create(ADOPT, logical_id="ReplicationSet")  # a rename whose stack update then fails:
    back = stack.send(stack.event("Delete", ADOPT, physical_id=arn, logical_id="ReplicationSet"))
    assert back["Status"] == "SUCCESS" and all_sets() == [arn]  # the rollback deletes the new
    wanted = {**ONE_REGION, "DeletionProtected": "true"}
    again = stack.send(
        stack.event(
            "Update", wanted, physical_id=arn, old_properties=ONE_REGION, logical_id="Incidents"
        )
    )
    assert again["Status"] == "SUCCESS" and replication_set(arn)["deletionProtected"] is True


def test_an_update_takes_over_a_set_nobody_recorded_and_its_delete_deletes_it(
    stack: Stack,
) -> None:
    """A set made by hand or before this version carries no manager mark: the resource that
    updates it records itself, so its Delete deletes the set and an adoption hands it back."""
    arn = boto3.client("ssm-incidents", region_name="us-east-1").create_replication_set(
        regions={"us-east-1": {}}, tags={"made": "by-hand"}
    )["arn"]
    wanted = {**ONE_REGION, "Tags": [{"Key": "made", "Value": "by-hand"}]}
    assert stack.update(arn, wanted, ONE_REGION)["Status"] == "SUCCESS"
    assert replication_set(arn)["tags"] == marked({"made": "by-hand"})
    assert stack.create(ADOPT, stack_id=OTHER_STACK)["Status"] == "SUCCESS"
    back = stack.send(stack.event("Delete", ADOPT, physical_id=arn, stack_id=OTHER_STACK))
    assert back["Status"] == "SUCCESS" and all_sets() == [arn]  # handed back, not deleted
    assert replication_set(arn)["tags"] == marked({"made": "by-hand"})
    assert stack.delete(arn)["Status"] == "SUCCESS" and all_sets() == []


# -- 3, 4: repeated deliveries and Lambda's clock -------------------------------------------


def test_a_create_delivered_twice_after_failing_early_makes_no_set(stack: Stack) -> None:
    event = stack.event("Create", ONE_REGION)
    control.inject_fault("CreateReplicationSet", "AccessDeniedException")
    first = stack.send(event)
    assert first["Status"] == "FAILED" and all_sets() == []
    control.reset_call_counts()
    stack.invoke(event)  # Lambda delivers it again
    assert stack.endpoint.for_request(event["RequestId"]) == [first, first]
    assert control.call_counts() == {} and all_sets() == []


def test_a_delivery_while_the_step_runs_does_nothing(stack: Stack) -> None:
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    event = stack.event("Create", ONE_REGION)
    stack.invoke(event)  # the first delivery hands off: its step is recorded as handed off
    [continuation] = stack.continuations
    stack.continuations.clear()
    control.reset_call_counts()
    stack.invoke(event)  # a duplicate of CloudFormation's event
    assert stack.continuations == [] and control.call_counts() == {}
    done = stack.send(continuation)
    assert (done["Status"], all_sets()) == ("SUCCESS", [done["PhysicalResourceId"]])


def test_lambda_ending_a_create_inside_its_create_call_answers_once_with_the_set(
    stack: Stack,
) -> None:
    stack.timeout_seconds = 40  # the call outlasts the invocation: crhelper's timer answers
    stack.lambda_retries = 2  # Lambda's default, which template.yaml turns off
    stack.hang_once["CreateReplicationSet"] = 45
    event = stack.event("Create", ONE_REGION)
    answer = stack.send(event)  # the timer hands the failure on; the next step answers
    [made] = all_sets()  # asking again with the request's token finds (or makes) its set
    assert stack.timed_out == 1 and stack.clock.fired == [0.5]
    assert (answer["Status"], answer["Reason"]) == ("FAILED", "Execution timed out")
    assert answer["PhysicalResourceId"] == made  # the rollback's Delete removes it
    assert len(stack.endpoint.for_request(event["RequestId"])) == 1  # the retry sent nothing
    rollback = stack.send(stack.event("Delete", ONE_REGION, physical_id=made))
    assert rollback["Status"] == "SUCCESS" and all_sets() == []


def test_lambda_ending_an_update_that_recreated_the_set_deletes_that_set_then_answers(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    boto3.client("ssm-incidents", region_name="us-east-1").delete_replication_set(arn=arn)
    control.advance_clock(60)
    stack.timeout_seconds = 40
    stack.call_seconds["UpdateDeletionProtection"] = 45  # after the re-create, a hung call
    wanted = {**ONE_REGION, "DeletionProtected": "true"}
    answer = stack.update(arn, wanted, ONE_REGION)
    assert answer["Status"] == "FAILED" and answer["PhysicalResourceId"] == arn
    assert answer["Reason"].startswith("Execution timed out The replication set arn:aws:")
    assert answer["Reason"].endswith("this update created was deleted: no stack would own it.")
    assert stack.timed_out == 1 and all_sets() == []


# -- 5: tags at the limit ----------------------------------------------------------------------


@pytest.mark.parametrize("renamed", [1, 47])
def test_renaming_tags_of_a_set_at_the_limit_never_exceeds_it(stack: Stack, renamed: int) -> None:
    """47 template tags, the manager mark, and a claim at times: within Incident Manager's 50."""
    arn = stack.create({**ONE_REGION, "Tags": tags(47)})["PhysicalResourceId"]
    wanted = tags(47 - renamed) + tags(renamed, prefix="new")
    response = stack.update(arn, {**ONE_REGION, "Tags": wanted}, {**ONE_REGION, "Tags": tags(47)})
    assert response == success(response, arn)
    assert replication_set(arn)["tags"] == marked({t["Key"]: t["Value"] for t in wanted})


# -- 7, 8, 9: what Incident Manager answers ---------------------------------------------------


def test_a_conflict_from_create_when_a_set_exists_is_treated_as_the_set_existing(
    stack: Stack,
) -> None:
    arn = boto3.client("ssm-incidents", region_name="us-east-1").create_replication_set(
        regions={"us-east-1": {}}
    )["arn"]
    control.inject_fault("CreateReplicationSet", "ConflictException")
    refused = stack.create(ONE_REGION)
    assert refused["Status"] == "FAILED"
    assert refused["Reason"].startswith(f"A replication set already exists in this account: {arn}")
    control.inject_fault("CreateReplicationSet", "ConflictException")
    assert stack.create(ADOPT)["PhysicalResourceId"] == arn


def test_a_conflict_from_create_with_no_set_is_a_change_in_progress(stack: Stack) -> None:
    control.inject_fault("CreateReplicationSet", "ConflictException", count=5)
    refused = stack.create(ONE_REGION)
    assert refused["Status"] == "FAILED" and all_sets() == []
    assert "CreateReplicationSet failed with ConflictException" in refused["Reason"]
    assert "another change to the replication set is in progress" in refused["Reason"]


def test_an_update_while_the_set_is_deleted_outside_waits_and_creates_it_anew(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.set_transition_seconds(20)
    boto3.client("ssm-incidents", region_name="us-east-1").delete_replication_set(arn=arn)
    assert replication_set(arn)["status"] == "DELETING"
    response = stack.update(arn, ONE_REGION, ONE_REGION)
    [new] = all_sets()
    assert new != arn and response == success(response, new)


def failed_addition(stack: Stack, kms_key: MakeKey) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A set whose update to add us-west-2 ended FAILED (its key was scheduled for deletion
    while the Region was being added); the rollback's properties."""
    east, west = kms_key("us-east-1"), kms_key("us-west-2")
    one = {"Regions": [{"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": east}}]}
    arn = stack.create(one)["PhysicalResourceId"]
    west_region = {"RegionName": "us-west-2", "RegionConfiguration": {"SseKmsKeyId": west}}
    two = {"Regions": [*one["Regions"], west_region]}
    control.set_transition_reads(1)  # the change ends at the next read
    control.schedule_key_deletion_after("UpdateReplicationSet", west)
    failed = stack.update(arn, two, one)
    assert failed["Status"] == "FAILED" and replication_set(arn)["status"] == "FAILED"
    return arn, one, two


def test_the_rollback_of_a_failed_region_addition_removes_it_where_the_service_allows(
    stack: Stack, kms_key: MakeKey
) -> None:
    control.set_failed_region_removable(True)  # the lenient reading of the assumed rule
    arn, old, new = failed_addition(stack, kms_key)
    back = stack.update(arn, old, new)
    assert back == success(back, arn)
    found = replication_set(arn)
    assert (found["status"], sorted(found["regionMap"])) == ("ACTIVE", ["us-east-1"])


def test_the_rollback_of_a_failed_region_addition_explains_the_way_out_where_it_cannot(
    stack: Stack, kms_key: MakeKey
) -> None:
    arn, old, new = failed_addition(stack, kms_key)  # the strict reading: no update
    back = stack.update(arn, old, new)
    assert back["Status"] == "FAILED"
    assert back["Reason"].startswith(f"replication set {arn} is FAILED: us-east-1: ACTIVE; ")
    assert "Incident Manager refused to remove the failed Region us-west-2" in back["Reason"]
    assert "continue-update-rollback --stack-name incidents --resources-to-skip" in back["Reason"]
