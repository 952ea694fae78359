"""Every example template runs through create, update and delete on the local runner, and a
failing update rolls back to where it was."""

from collections.abc import Callable

import boto3
import pytest

from emulator import control
from local_cloudformation.engine import Stack
from local_cloudformation.template import TemplateError
from provider.ownership import MANAGER, Resource, template_tags
from tests.stack.conftest import (
    EXAMPLES,
    example,
    kms_key,
    region_keys,
    replication_set,
    statuses,
)

MISSING_KEY = "arn:aws:kms:us-east-2:123456789012:key/00000000-0000-0000-0000-000000000000"


def test_every_example_is_covered() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == [
        "replication-set.yaml",
        "with-response-plan.yaml",
    ]


def test_replication_set_example_lifecycle_with_rollback(new_stack: Callable[[str], Stack]) -> None:
    west, east2 = kms_key("us-west-2"), kms_key("us-east-2")
    stack = new_stack("incidents")
    text = example("replication-set.yaml")

    assert stack.create(text, {"SecondaryKeyArn": west}) == "CREATE_COMPLETE"
    found = replication_set()
    assert found is not None and found["status"] == "ACTIVE"
    assert sorted(region_keys()) == ["us-east-1", "us-west-2"]
    assert region_keys()["us-west-2"] == west
    assert region_keys()["us-east-1"].endswith(stack.resources["IncidentManagerKey"].physical_id)
    assert found["tags"] == {
        "team": "sre",
        MANAGER: Resource(stack.stack_id, "ReplicationSet").label,
    }
    assert stack.outputs == {"ReplicationSetArn": found["arn"]}

    three = {
        "SecondaryKeyArn": west,
        "TertiaryRegion": "us-east-2",
        "TertiaryKeyArn": east2,
        "Team": "ir",
    }
    assert stack.update(text, three) == "UPDATE_COMPLETE"
    assert sorted(region_keys()) == ["us-east-1", "us-east-2", "us-west-2"]
    assert template_tags((replication_set() or {})["tags"]) == {"team": "ir"}

    before = region_keys()
    assert (
        stack.update(text, {**three, "TertiaryKeyArn": MISSING_KEY, "Team": "x"})
        == "UPDATE_ROLLBACK_COMPLETE"
    )
    assert statuses(stack.events, "ReplicationSet")[-4:] == [
        "UPDATE_IN_PROGRESS", "UPDATE_FAILED", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"
    ]  # fmt: skip
    assert region_keys() == before
    assert template_tags((replication_set() or {})["tags"]) == {"team": "ir"}
    assert stack.parameters["Team"] == "ir"  # the stack keeps the last good template

    assert stack.delete() == "DELETE_COMPLETE"
    assert replication_set() is None
    assert statuses(stack.events, "IncidentManagerKey")[-1] == "DELETE_SKIPPED"  # Retain


def test_response_plan_example_lifecycle(new_stack: Callable[[str], Stack]) -> None:
    stack = new_stack("with-plan")
    text = example("with-response-plan.yaml")
    assert stack.create(text, {}) == "CREATE_COMPLETE"
    assert sorted(region_keys()) == ["us-east-1", "us-west-2"]
    order = [e.logical_id for e in stack.events if e.status == "CREATE_COMPLETE"]
    assert order.index("ReplicationSet") < order.index("ResponsePlan")  # DependsOn
    assert stack.update(text, {"SecondaryRegion": "eu-west-1"}) == "UPDATE_COMPLETE"
    assert sorted(region_keys()) == ["eu-west-1", "us-east-1"]
    assert stack.delete() == "DELETE_COMPLETE"
    deleted = [
        e.logical_id
        for e in stack.events
        if e.status == "DELETE_COMPLETE" and e.logical_id != "with-plan"
    ]
    assert deleted == ["ResponsePlan", "ReplicationSet"]
    assert replication_set() is None


def test_failed_create_rolls_back_and_deletes_the_set_it_made(
    new_stack: Callable[[str], Stack],
) -> None:
    west = kms_key("us-west-2")
    # the key is scheduled for deletion while the set is being created: us-west-2 ends FAILED
    control.set_transition_reads(1)  # the change ends at the next read
    control.schedule_key_deletion_after("CreateReplicationSet", west)
    stack = new_stack("broken")
    text = example("replication-set.yaml")
    assert stack.create(text, {"SecondaryKeyArn": west}) == "ROLLBACK_COMPLETE"
    assert statuses(stack.events, "ReplicationSet") == [
        "CREATE_IN_PROGRESS", "CREATE_FAILED", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"
    ]  # fmt: skip
    assert f"us-west-2: FAILED (KMS key {west} is PendingDeletion)" in next(
        e.reason for e in stack.events if e.status == "CREATE_FAILED"
    )
    assert replication_set() is None
    with pytest.raises(TemplateError, match="ROLLBACK_COMPLETE state and can not be updated"):
        stack.update(text, {"SecondaryKeyArn": west})


def test_set_deleted_outside_the_stack_is_replaced_and_the_old_id_retained(
    new_stack: Callable[[str], Stack],
) -> None:
    stack = new_stack("drift")
    text = example("with-response-plan.yaml")
    assert stack.create(text, {}) == "CREATE_COMPLETE"
    old_arn = stack.resources["ReplicationSet"].physical_id
    boto3.client("ssm-incidents", region_name="us-east-1").delete_replication_set(arn=old_arn)
    assert stack.update(text, {"SecondaryRegion": "eu-west-1"}) == "UPDATE_COMPLETE"
    new_arn = stack.resources["ReplicationSet"].physical_id
    assert new_arn != old_arn and (replication_set() or {})["arn"] == new_arn
    cleanup = [e for e in stack.events if e.logical_id == "ReplicationSet"][-1]
    # the example's UpdateReplacePolicy: Retain keeps CloudFormation from deleting the old id
    assert (cleanup.status, cleanup.reason) == ("DELETE_SKIPPED", "UpdateReplacePolicy: Retain")


def test_a_replaced_id_is_deleted_when_no_policy_retains_it(
    new_stack: Callable[[str], Stack],
) -> None:
    stack = new_stack("no-retain")
    text = example("with-response-plan.yaml").replace("    UpdateReplacePolicy: Retain\n", "")
    assert stack.create(text, {}) == "CREATE_COMPLETE"
    old_arn = stack.resources["ReplicationSet"].physical_id
    boto3.client("ssm-incidents", region_name="us-east-1").delete_replication_set(arn=old_arn)
    assert stack.update(text, {"SecondaryRegion": "eu-west-1"}) == "UPDATE_COMPLETE"
    cleanup = [e for e in stack.events if e.logical_id == "ReplicationSet"][-2:]
    assert [e.status for e in cleanup] == ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]  # a no-op


def test_a_service_token_that_is_not_the_provider_fails_the_resource(
    new_stack: Callable[[str], Stack],
) -> None:
    template = example("with-response-plan.yaml").replace(
        "Fn::ImportValue: !Sub ${ProviderStackName}-ServiceToken",
        "arn:aws:lambda:us-east-1:123456789012:function:someone-else",
    )
    stack = new_stack("elsewhere")
    assert stack.create(template, {}) == "ROLLBACK_COMPLETE"
    failed = next(e for e in stack.events if e.status == "CREATE_FAILED")
    assert "is not the local provider" in failed.reason
    assert control.call_counts() == {}


@pytest.mark.parametrize(
    ("template", "parameters", "message"),
    [
        ("replication-set.yaml", {}, "SecondaryKeyArn"),
        ("with-response-plan.yaml", {"Nope": "1"}, r"Parameters: \[Nope\] do not exist"),
    ],
)
def test_template_errors_are_refused_before_anything_is_made(
    new_stack: Callable[[str], Stack], template: str, parameters: dict[str, str], message: str
) -> None:
    stack = new_stack("refused")
    if message:
        with pytest.raises(TemplateError, match=message):
            stack.create(example(template), parameters)
        assert stack.events == []
    else:
        assert stack.create(example(template), parameters) == "CREATE_COMPLETE"


def test_transforms_are_refused(new_stack: Callable[[str], Stack]) -> None:
    with pytest.raises(TemplateError, match="does not expand transforms"):
        new_stack("sam").create("Transform: AWS::Serverless-2016-10-31\nResources: {}\n", {})


def test_a_protected_set_fails_the_stack_delete_and_retain_resources_finishes_it(
    new_stack: Callable[[str], Stack],
) -> None:
    west = kms_key("us-west-2")
    stack = new_stack("incidents")
    text = example("replication-set.yaml")
    params = {"SecondaryKeyArn": west, "DeletionProtected": "true"}
    assert stack.create(text, params) == "CREATE_COMPLETE"
    arn = stack.resources["ReplicationSet"].physical_id

    assert stack.delete() == "DELETE_FAILED"
    failed = [
        e for e in stack.events if e.status == "DELETE_FAILED" and e.logical_id == "ReplicationSet"
    ]
    assert "--retain-resources ReplicationSet" in failed[-1].reason
    assert "update-deletion-protection" in failed[-1].reason
    with pytest.raises(TemplateError, match="DELETE_FAILED state and can not be updated"):
        stack.update(text, {**params, "DeletionProtected": "false"})

    assert stack.delete(["ReplicationSet"]) == "DELETE_COMPLETE"
    assert statuses(stack.events, "ReplicationSet")[-1] == "DELETE_SKIPPED"
    assert control.replication_set_arns() == [arn]  # kept, as asked


def test_retain_resources_is_refused_unless_the_stack_is_delete_failed(
    new_stack: Callable[[str], Stack],
) -> None:
    stack = new_stack("incidents")
    assert stack.create(example("replication-set.yaml"), {"SecondaryKeyArn": kms_key("us-west-2")})
    with pytest.raises(TemplateError, match="only when it is DELETE_FAILED"):
        stack.delete(["ReplicationSet"])
    assert stack.status == "CREATE_COMPLETE"


def test_a_custom_resource_without_a_service_token_fails_as_cloudformation_fails_it(
    new_stack: Callable[[str], Stack],
) -> None:
    template = example("with-response-plan.yaml").replace(
        "      ServiceToken:\n        Fn::ImportValue: !Sub ${ProviderStackName}-ServiceToken\n", ""
    )
    assert "ServiceToken" not in template.split("ResponsePlan:")[0].split("ReplicationSet:")[1]
    stack = new_stack("no-token")
    assert stack.create(template, {}) == "ROLLBACK_COMPLETE"
    failed = next(e for e in stack.events if e.status == "CREATE_FAILED")
    assert failed.reason == (
        "Properties validation failed for resource ReplicationSet with message: "
        "#: required key [ServiceToken] not found"
    )
    assert control.call_counts() == {}


def test_a_rollback_whose_delete_fails_ends_rollback_failed(
    new_stack: Callable[[str], Stack],
) -> None:
    # The set is made with deletion protection, then a later resource fails: the rollback's
    # Delete of the set is refused, as CloudFormation would see it.
    broken = (
        "  Broken:\n"
        "    Type: Custom::Broken\n"
        "    DependsOn: ReplicationSet\n"
        "    Properties:\n"
        "      Nothing: here\n"
    )
    template = example("replication-set.yaml").replace("\nOutputs:\n", f"{broken}\nOutputs:\n", 1)
    stack = new_stack("stuck")
    parameters = {"SecondaryKeyArn": kms_key("us-west-2"), "DeletionProtected": "true"}
    status = stack.create(template, parameters)
    assert status == "ROLLBACK_FAILED"
    assert statuses(stack.events, "ReplicationSet")[-1] == "DELETE_FAILED"
    assert (
        stack.events[-1].reason == "The following resource(s) failed to delete: [ReplicationSet]."
    )
    assert control.replication_set_arns() == [stack.resources["ReplicationSet"].physical_id]
