"""Create: what CloudFormation receives, and the replication set the emulator ends with."""

from typing import Any

import boto3
import pytest

from emulator import control
from local_cloudformation.protocol import STACK_ID
from tests.provider.conftest import MakeKey, Stack, marked, success

#: No Region is removed here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

ONE_REGION = {"Regions": [{"RegionName": "us-east-1"}]}


def replication_set(arn: str) -> Any:
    """The account's set (uncounted), which must be ``arn``."""
    found = control.replication_set()
    assert found is not None and found["arn"] == arn, f"expected {arn}, the account has {found}"
    return found


all_sets = control.replication_set_arns


def test_create_answers_success_with_the_arn_as_physical_id_and_attribute(stack: Stack) -> None:
    event = stack.event(
        "Create",
        {
            "Regions": [{"RegionName": "us-east-1"}, {"RegionName": "us-west-2"}],
            "Tags": [{"Key": "team", "Value": "sre"}],
        },
    )
    response = stack.send(event)
    arn = response["PhysicalResourceId"]
    assert arn.startswith("arn:aws:ssm-incidents::123456789012:replication-set/")
    assert response == success(event, arn)
    assert control.call_counts() == {"CreateReplicationSet": 1, "GetReplicationSet": 1}
    found = replication_set(arn)
    assert found["status"] == "ACTIVE"
    assert {name: r["sseKmsKeyId"] for name, r in found["regionMap"].items()} == {
        "us-east-1": "DefaultKey",
        "us-west-2": "DefaultKey",
    }
    assert found["tags"] == marked({"team": "sre"})
    assert found["deletionProtected"] is False


def test_create_uses_the_request_id_as_client_token(stack: Stack) -> None:
    event = stack.event("Create", ONE_REGION)
    arn = stack.send(event)["PhysicalResourceId"]
    # The same token and request (the set's manager mark among its tags) are idempotent at
    # the service: the same ARN comes back.
    again = boto3.client("ssm-incidents", region_name="us-east-1").create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": "DefaultKey"}},
        clientToken=event["RequestId"],
        tags=marked({}),
    )
    assert again["arn"] == arn


def test_create_with_customer_keys_and_deletion_protection(stack: Stack, kms_key: MakeKey) -> None:
    east, west = kms_key("us-east-1"), kms_key("us-west-2")
    response = stack.create(
        {
            "Regions": [
                {"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": east}},
                {"RegionName": "us-west-2", "RegionConfiguration": {"SseKmsKeyId": west}},
            ],
            "DeletionProtected": "true",
        }
    )
    assert response["Status"] == "SUCCESS", response["Reason"]
    found = replication_set(response["PhysicalResourceId"])
    assert {n: r["sseKmsKeyId"] for n, r in found["regionMap"].items()} == {
        "us-east-1": east,
        "us-west-2": west,
    }
    assert found["deletionProtected"] is True


def test_invalid_properties_fail_before_any_aws_call(stack: Stack) -> None:
    regions = [{"RegionName": r} for r in ("us-east-1", "us-east-2", "us-west-1", "us-west-2")]
    response = stack.create({"Regions": regions})
    assert response["Status"] == "FAILED"
    assert response["Reason"] == "Regions: at most 3 regions, got 4"
    assert not response["PhysicalResourceId"].startswith("arn:")
    assert response["Data"] == {}
    assert control.call_counts() == {}


def test_unknown_property_is_an_error_not_ignored(stack: Stack) -> None:
    response = stack.create({**ONE_REGION, "DeletionProtection": True})
    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("DeletionProtection: unknown property")
    assert all_sets() == []


def test_existing_set_fails_with_its_arn_and_what_to_do(stack: Stack) -> None:
    existing = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.reset_call_counts()
    other = {"Regions": [{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}]}
    response = stack.create(other, logical_id="Other")
    assert response["Status"] == "FAILED"
    assert existing in response["Reason"]
    assert "AdoptExisting: true" in response["Reason"]
    assert response["PhysicalResourceId"] != existing  # the rollback's Delete must not touch it
    assert all_sets() == [existing]
    assert control.mutating_calls() == {"CreateReplicationSet": 1}


def test_adopt_existing_takes_over_and_reconciles_the_set(stack: Stack) -> None:
    existing = stack.create(ONE_REGION)["PhysicalResourceId"]
    event = stack.event(
        "Create",
        {
            "Regions": [{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}],
            "Tags": [{"Key": "owner", "Value": "platform"}],
            "AdoptExisting": "true",
        },
        logical_id="Adopter",
    )
    response = stack.send(event)
    assert response == success(event, existing)
    found = replication_set(existing)
    assert sorted(found["regionMap"]) == ["eu-west-1", "us-east-1"]
    assert found["tags"] == marked(
        {"owner": "platform"}, logical_id="Adopter", line=((STACK_ID, "ReplicationSet"),)
    )


def test_create_waits_until_active(stack: Stack) -> None:
    control.set_transition_seconds(40)
    response = stack.create(ONE_REGION)
    assert response["Status"] == "SUCCESS"
    assert replication_set(response["PhysicalResourceId"])["status"] == "ACTIVE"
    # short polls that back off: ready at 40 s is reported within one poll interval of it
    assert 40 <= sum(stack.clock.slept) <= 45
    assert max(stack.clock.slept) <= 5


def test_set_that_ends_failed_reports_region_messages_and_keeps_its_arn(
    stack: Stack, kms_key: MakeKey
) -> None:
    east, east2 = kms_key("us-east-1"), kms_key("us-east-2")
    control.set_transition_reads(1)  # the change ends at the next read
    control.schedule_key_deletion_after("CreateReplicationSet", east2)  # fails us-east-2
    regions = [
        {"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": east}},
        {"RegionName": "us-east-2", "RegionConfiguration": {"SseKmsKeyId": east2}},
    ]
    response = stack.create({"Regions": regions})
    arn = all_sets()[0]
    assert response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == arn  # so that the rollback's Delete removes it
    assert response["Reason"] == (
        f"replication set {arn} is FAILED: us-east-1: ACTIVE; "
        f"us-east-2: FAILED (KMS key {east2} is PendingDeletion)"
    )
    assert stack.delete(arn)["Status"] == "SUCCESS"
    assert all_sets() == []


def test_redelivered_create_event_leaves_one_set_and_answers_the_same(stack: Stack) -> None:
    event = stack.event("Create", ONE_REGION)
    first = stack.send(event)
    stack.endpoint.deliveries.clear()
    second = stack.send(event)
    assert second == first
    assert all_sets() == [first["PhysicalResourceId"]]
