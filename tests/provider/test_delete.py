"""Delete: what goes, what stays, and what a stack sees."""

import boto3
import pytest
from crhelper import CfnResource

from emulator import control
from tests.provider.conftest import HOME, Stack
from tests.provider.test_create import ONE_REGION, all_sets

#: No Region is removed here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


def test_delete_removes_the_set_and_waits_until_it_is_gone(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.set_transition_seconds(15)
    event = stack.event("Delete", ONE_REGION, physical_id=arn)
    response = stack.send(event)
    assert response == {
        "Status": "SUCCESS",
        "Reason": "",
        "PhysicalResourceId": arn,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": "ReplicationSet",
        "NoEcho": False,
        "Data": {},
    }
    assert all_sets() == []
    assert sum(stack.clock.slept) >= 15


def test_delete_after_a_failed_create_makes_no_call(stack: Stack) -> None:
    failed = stack.create({"Regions": []})
    assert failed["Status"] == "FAILED"
    response = stack.delete(failed["PhysicalResourceId"], {"Regions": []})
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == failed["PhysicalResourceId"]
    assert control.call_counts() == {}


def test_delete_of_a_set_already_gone_succeeds(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    boto3.client("ssm-incidents", region_name="us-east-1").delete_replication_set(arn=arn)
    assert stack.delete(arn)["Status"] == "SUCCESS"


def test_delete_of_a_set_deleted_by_someone_else_after_the_providers_read_succeeds(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    outside = boto3.client("ssm-incidents", region_name="us-east-1")
    # between the provider's last read (its claim's, provider.stewards) and its
    # DeleteReplicationSet, the set is deleted outside
    control.after_call(
        "TagResource",
        lambda: control.after_call(
            "ListTagsForResource", lambda: outside.delete_replication_set(arn=arn)
        ),
    )
    response = stack.delete(arn)
    assert (response["Status"], response["Reason"]) == ("SUCCESS", "")
    assert all_sets() == []
    assert control.call_counts()["DeleteReplicationSet"] == 2  # the outside one, the provider's


def test_delete_with_deletion_protection_fails_and_keeps_the_set(stack: Stack) -> None:
    arn = stack.create({**ONE_REGION, "DeletionProtected": True})["PhysicalResourceId"]
    response = stack.delete(arn)
    assert response["Status"] == "FAILED"
    # CloudFormation does not update a stack in DELETE_FAILED: the ways out work from there.
    assert response["Reason"] == (
        f"Replication set {arn} has deletion protection on, so the stack cannot delete it "
        "(deleting it deletes all Incident Manager data). To keep the set, delete the stack "
        "again without it: aws cloudformation delete-stack --stack-name incidents "
        "--retain-resources ReplicationSet. To delete it, turn protection off outside the "
        f"stack: aws ssm-incidents update-deletion-protection --arn {arn} "
        "--no-deletion-protected --region us-east-1, then delete the stack again."
    )
    assert all_sets() == [arn]


def test_delete_does_not_pay_crhelpers_120_second_sleep(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    # crhelper binds time.sleep as a default argument of the method that waits before Delete.
    wait_for_logs = CfnResource._wait_for_cwlogs  # type: ignore[attr-defined]
    monkeypatch.setattr(wait_for_logs, "__defaults__", (slept.append,))
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    assert stack.delete(arn)["Status"] == "SUCCESS"
    assert slept == []


def test_the_rollback_of_a_create_refused_for_its_region_names_succeeds(stack: Stack) -> None:
    bad = {"Regions": [{"RegionName": 1}, {"RegionName": "x" * 30}, {"RegionName": HOME}]}
    refused = stack.create(bad)
    assert refused["Status"] == "FAILED"
    rollback = stack.delete(refused["PhysicalResourceId"], bad)
    assert (rollback["Status"], rollback["Reason"]) == ("SUCCESS", "")
    assert control.call_counts() == {}
