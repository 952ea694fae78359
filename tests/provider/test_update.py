"""Update: reconcile the live set (never OldResourceProperties) to the template."""

from typing import Any

import boto3
import pytest

from emulator import control
from tests.provider.conftest import HOME, MakeKey, Stack, marked, success
from tests.provider.test_create import all_sets, replication_set


def regions(*names: str, key: dict[str, str] | None = None) -> list[dict[str, Any]]:
    key = key or {}
    return [
        {"RegionName": n, **({"RegionConfiguration": {"SseKmsKeyId": key[n]}} if n in key else {})}
        for n in names
    ]


def keys_of(arn: str) -> dict[str, str]:
    return {n: r["sseKmsKeyId"] for n, r in replication_set(arn)["regionMap"].items()}


def created(stack: Stack, properties: dict[str, Any]) -> str:
    response = stack.create(properties)
    assert response["Status"] == "SUCCESS", response["Reason"]
    control.reset_call_counts()
    return str(response["PhysicalResourceId"])


def test_update_adding_a_region(stack: Stack) -> None:
    old = {"Regions": regions("us-east-1")}
    arn = created(stack, old)
    event = stack.event(
        "Update",
        {"Regions": regions("us-east-1", "us-west-2")},
        physical_id=arn,
        old_properties=old,
    )
    assert stack.send(event) == success(event, arn)
    assert sorted(keys_of(arn)) == ["us-east-1", "us-west-2"]


def test_update_that_changes_nothing_makes_no_mutating_call(stack: Stack) -> None:
    props = {"Regions": regions("us-east-1", "us-east-2"), "Tags": [{"Key": "a", "Value": "1"}]}
    arn = created(stack, props)
    assert stack.update(arn, props, old=props)["Status"] == "SUCCESS"
    assert control.mutating_calls() == {}
    assert control.call_counts() == {"GetReplicationSet": 1, "ListTagsForResource": 1}


def test_update_changing_tags_adds_changes_and_removes(stack: Stack) -> None:
    arn = created(
        stack,
        {
            "Regions": regions("us-east-1"),
            "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
        },
    )
    response = stack.update(
        arn,
        {
            "Regions": regions("us-east-1"),
            "Tags": [{"Key": "a", "Value": "9"}, {"Key": "c", "Value": "3"}],
        },
    )
    assert response["Status"] == "SUCCESS"
    assert replication_set(arn)["tags"] == marked({"a": "9", "c": "3"})
    assert control.mutating_calls() == {"TagResource": 1, "UntagResource": 1}


def test_several_region_changes_in_one_update(stack: Stack) -> None:
    arn = created(stack, {"Regions": regions("us-east-1")})
    response = stack.update(arn, {"Regions": regions("us-east-1", "us-east-2", "us-west-2")})
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert sorted(keys_of(arn)) == ["us-east-1", "us-east-2", "us-west-2"]
    stack.a_day_later()
    response = stack.update(arn, {"Regions": regions("us-east-1", "eu-west-1", "eu-west-2")})
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert sorted(keys_of(arn)) == ["eu-west-1", "eu-west-2", "us-east-1"]


def test_changed_key_is_replaced_in_one_update(stack: Stack, kms_key: MakeKey) -> None:
    k1, k2, west = kms_key("us-east-1"), kms_key("us-east-1"), kms_key("us-west-2")
    arn = created(
        stack,
        {"Regions": regions("us-east-1", "us-west-2", key={"us-east-1": k1, "us-west-2": west})},
    )
    stack.a_day_later()
    response = stack.update(
        arn,
        {"Regions": regions("us-east-1", "us-west-2", key={"us-east-1": k2, "us-west-2": west})},
    )
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert keys_of(arn) == {"us-east-1": k2, "us-west-2": west}
    assert control.mutating_calls() == {"UpdateReplicationSet": 2}


def test_update_waits_for_each_region_change(stack: Stack) -> None:
    arn = created(stack, {"Regions": regions("us-east-1")})
    control.set_transition_seconds(20)
    response = stack.update(arn, {"Regions": regions("us-east-1", "us-east-2", "us-west-2")})
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert replication_set(arn)["status"] == "ACTIVE"
    assert sum(stack.clock.slept) >= 40  # two additions, each waited until ACTIVE


def test_rollback_restores_the_previous_properties(stack: Stack, removal_rule: str) -> None:
    before = {"Regions": regions("us-east-1"), "Tags": [{"Key": "env", "Value": "dev"}]}
    after = {
        "Regions": regions("us-east-1", "eu-west-1"),
        "Tags": [{"Key": "env", "Value": "prod"}],
    }
    arn = created(stack, before)
    assert stack.update(arn, after, old=before)["Status"] == "SUCCESS"
    rollback = stack.update(arn, before, old=after)  # CloudFormation's UPDATE_ROLLBACK
    if removal_rule == "removals-after-24h":
        # The Region just added cannot go yet: the rollback fails with the way out, after the
        # tags (first in the plan) are already back.
        assert rollback["Status"] == "FAILED"
        assert "refused to remove Region eu-west-1 (added at " in rollback["Reason"]
        assert "may refuse to remove a Region within 24 hours of adding it" in rollback["Reason"]
        assert (
            "aws cloudformation continue-update-rollback --stack-name incidents "
            "--resources-to-skip ReplicationSet" in rollback["Reason"]
        )
        assert sorted(keys_of(arn)) == ["eu-west-1", "us-east-1"]
        assert replication_set(arn)["tags"] == marked({"env": "dev"})
        stack.a_day_later()  # after continue-update-rollback, the next update reconciles
        assert stack.update(arn, before, old=before)["Status"] == "SUCCESS"
    else:
        assert rollback["Status"] == "SUCCESS"
    assert sorted(keys_of(arn)) == ["us-east-1"]
    assert replication_set(arn)["tags"] == marked({"env": "dev"})


def test_update_converges_out_of_band_drift(stack: Stack) -> None:
    props = {
        "Regions": regions("us-east-1", "us-east-2"),
        "Tags": [{"Key": "team", "Value": "sre"}],
    }
    arn = created(stack, props)
    stack.a_day_later()
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    client.update_replication_set(
        arn=arn, actions=[{"deleteRegionAction": {"regionName": "us-east-2"}}]
    )
    client.tag_resource(resourceArn=arn, tags={"team": "other", "added": "by-hand"})
    assert stack.update(arn, props, old=props)["Status"] == "SUCCESS"
    assert sorted(keys_of(arn)) == ["us-east-1", "us-east-2"]
    assert replication_set(arn)["tags"] == marked({"team": "sre"})


def test_set_deleted_outside_the_stack_is_recreated_with_a_new_arn(stack: Stack) -> None:
    props = {"Regions": regions("us-east-1")}
    old_arn = created(stack, props)
    boto3.client("ssm-incidents", region_name="us-east-1").delete_replication_set(arn=old_arn)
    event = stack.event("Update", props, physical_id=old_arn, old_properties=props)
    response = stack.send(event)
    new_arn = response["PhysicalResourceId"]
    assert new_arn != old_arn
    assert response == success(event, new_arn)
    assert all_sets() == [new_arn]
    # CloudFormation then deletes the old physical id: a no-op success.
    assert stack.delete(old_arn, props)["Status"] == "SUCCESS"
    assert all_sets() == [new_arn]


def test_deletion_protection_is_turned_on_and_off(stack: Stack) -> None:
    arn = created(stack, {"Regions": regions("us-east-1")})
    assert (
        stack.update(arn, {"Regions": regions("us-east-1"), "DeletionProtected": "true"})["Status"]
        == "SUCCESS"
    )
    assert replication_set(arn)["deletionProtected"] is True
    assert (
        stack.update(arn, {"Regions": regions("us-east-1"), "DeletionProtected": False})["Status"]
        == "SUCCESS"
    )
    assert replication_set(arn)["deletionProtected"] is False


def test_switching_key_kind_is_refused_before_any_change(stack: Stack, kms_key: MakeKey) -> None:
    arn = created(stack, {"Regions": regions("us-east-1", "us-east-2")})
    keys = {"us-east-1": kms_key("us-east-1"), "us-east-2": kms_key("us-east-2")}
    response = stack.update(arn, {"Regions": regions("us-east-1", "us-east-2", key=keys)})
    assert response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == arn
    assert "cannot switch a set between the two in place" in response["Reason"]
    assert "deletes all Incident Manager data" in response["Reason"]
    assert control.mutating_calls() == {}


def test_changing_the_key_of_the_only_region_is_refused(stack: Stack, kms_key: MakeKey) -> None:
    k1, k2 = kms_key("us-east-1"), kms_key("us-east-1")
    arn = created(stack, {"Regions": regions("us-east-1", key={"us-east-1": k1})})
    response = stack.update(arn, {"Regions": regions("us-east-1", key={"us-east-1": k2})})
    assert response["Status"] == "FAILED"
    assert "the set's only region" in response["Reason"]
    assert "Add a second region" in response["Reason"]
    assert keys_of(arn) == {"us-east-1": k1}
    assert control.mutating_calls() == {}


def test_invalid_update_changes_nothing(stack: Stack) -> None:
    arn = created(stack, {"Regions": regions("us-east-1")})
    response = stack.update(
        arn, {"Regions": regions("us-east-1", "us-east-2", "us-west-1", "us-west-2")}
    )
    assert response["Status"] == "FAILED"
    assert response["Reason"] == "Regions: at most 3 regions, got 4"
    assert response["PhysicalResourceId"] == arn
    assert control.call_counts() == {}


def test_redelivered_update_makes_no_second_change(stack: Stack) -> None:
    arn = created(stack, {"Regions": regions("us-east-1")})
    event = stack.event(
        "Update", {"Regions": regions("us-east-1", "us-east-2")}, physical_id=arn, old_properties={}
    )
    first = stack.send(event)
    stack.endpoint.deliveries.clear()
    control.reset_call_counts()
    assert stack.send(event) == first
    assert control.mutating_calls() == {}


def test_naming_the_same_key_by_arn_instead_of_id_changes_nothing(
    stack: Stack, kms_key: MakeKey
) -> None:
    arn_east, arn_west = kms_key("us-east-1"), kms_key("us-west-2")
    by_id = {"us-east-1": arn_east.split("/")[-1], "us-west-2": arn_west.split("/")[-1]}
    arn = created(stack, {"Regions": regions("us-east-1", "us-west-2", key=by_id)})
    by_arn = {"us-east-1": arn_east, "us-west-2": arn_west}
    assert (
        stack.update(arn, {"Regions": regions("us-east-1", "us-west-2", key=by_arn)})["Status"]
        == "SUCCESS"
    )
    assert control.mutating_calls() == {}


@pytest.mark.parametrize("removal_rule", ["removals-any-time"])
def test_an_update_of_a_set_failed_in_every_region_names_each_failure(
    stack: Stack, kms_key: MakeKey
) -> None:
    key = kms_key(HOME)
    properties = {"Regions": [{"RegionName": HOME, "RegionConfiguration": {"SseKmsKeyId": key}}]}
    control.set_transition_reads(1)  # the change ends at the next read
    control.schedule_key_deletion_after("CreateReplicationSet", key)
    arn = stack.create(properties)["PhysicalResourceId"]
    answer = stack.update(arn, {**properties, "Tags": [{"Key": "a", "Value": "b"}]}, properties)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"replication set {arn} is FAILED: {HOME}: FAILED (KMS key {key} is PendingDeletion)"
    )
    assert control.mutating_calls() == {"CreateReplicationSet": 1}
