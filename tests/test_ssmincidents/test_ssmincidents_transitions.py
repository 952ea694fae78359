"""Status transitions of the set and of each Region, moved on by reads ("manual"
progression of moto's state manager, model ``ssm-incidents::replication-set``).

A change is decided by the first call that looks at the set, under the progression set
at that moment: a test that starts from an ACTIVE set reads it before it asks for
"manual" progression. A creation or an added Region ends FAILED when its customer managed
KMS key is disabled or scheduled for deletion before the change ends."""

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from moto import mock_aws, settings

from .helpers import (
    changes_end_after_reads,
    create_key,
    disable_key,
    raises_aws,
    schedule_key_deletion,
    statuses,
)

FAILED_REGION_REMOVABLE = "MOTO_SSM_INCIDENTS_FAILED_REGION_REMOVABLE"

#: The mutations whose model declares ConflictException.
MUTATIONS: dict[str, Callable[[Any, str], object]] = {
    "UpdateReplicationSet": lambda c, arn: c.update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "us-west-2"}}]
    ),
    "TagResource": lambda c, arn: c.tag_resource(resourceArn=arn, tags={"a": "b"}),
    "UntagResource": lambda c, arn: c.untag_resource(resourceArn=arn, tagKeys=["a"]),
}

#: The mutations whose model declares no ConflictException.
UNDECLARED_CONFLICT: dict[str, Callable[[Any, str], object]] = {
    "UpdateDeletionProtection": lambda c, arn: c.update_deletion_protection(
        arn=arn, deletionProtected=True
    ),
    "DeleteReplicationSet": lambda c, arn: c.delete_replication_set(arn=arn),
}


@mock_aws
def test_only_a_read_that_finds_the_set_moves_its_change_on() -> None:
    home = boto3.client("ssm-incidents", region_name="us-east-1")
    away = boto3.client("ssm-incidents", region_name="ap-south-1")
    with changes_end_after_reads(2):
        arn = home.create_replication_set(regions={"us-east-1": {}})["arn"]
        with raises_aws("ResourceNotFoundException", 404):
            away.get_replication_set(arn=arn)  # not a Region of the set
        with raises_aws("ResourceNotFoundException", 404):
            home.get_replication_set(arn=arn[:-4] + "0000")  # another set
        assert statuses(home, arn)[0] == "CREATING"
        assert statuses(home, arn)[0] == "ACTIVE"


@mock_aws
def test_new_set_is_creating_then_active() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with changes_end_after_reads(3):
        arn = client.create_replication_set(
            regions={"us-east-1": {}, "us-east-2": {}},
        )["arn"]
        creating = {"us-east-1": "CREATING", "us-east-2": "CREATING"}
        assert statuses(client, arn) == ("CREATING", creating)
        assert statuses(client, arn) == ("CREATING", creating)
        active = {"us-east-1": "ACTIVE", "us-east-2": "ACTIVE"}
        assert statuses(client, arn) == ("ACTIVE", active)


@mock_aws
def test_adding_a_region_is_updating_then_active() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    assert statuses(client, arn) == ("ACTIVE", {"us-east-1": "ACTIVE"})
    with changes_end_after_reads(2):
        client.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "us-west-2"}}]
        )
        updating = {"us-east-1": "ACTIVE", "us-west-2": "CREATING"}
        assert statuses(client, arn) == ("UPDATING", updating)
        active = {"us-east-1": "ACTIVE", "us-west-2": "ACTIVE"}
        assert statuses(client, arn) == ("ACTIVE", active)


@mock_aws
def test_deleting_a_region_is_updating_then_gone() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {}, "us-west-2": {}},
    )["arn"]
    assert statuses(client, arn)[0] == "ACTIVE"
    with changes_end_after_reads(2):
        client.update_replication_set(
            arn=arn, actions=[{"deleteRegionAction": {"regionName": "us-west-2"}}]
        )
        updating = {"us-east-1": "ACTIVE", "us-west-2": "DELETING"}
        assert statuses(client, arn) == ("UPDATING", updating)
        assert statuses(client, arn) == ("ACTIVE", {"us-east-1": "ACTIVE"})


@mock_aws
def test_deleted_set_is_deleting_then_not_found() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    assert statuses(client, arn)[0] == "ACTIVE"
    with changes_end_after_reads(2):
        client.delete_replication_set(arn=arn)
        assert statuses(client, arn) == ("DELETING", {"us-east-1": "DELETING"})
        with raises_aws("ResourceNotFoundException", 404, arn):
            client.get_replication_set(arn=arn)
    assert client.list_replication_sets()["replicationSetArns"] == []


@pytest.mark.parametrize("operation", sorted(MUTATIONS))
@mock_aws
def test_mutating_call_while_creating_is_a_conflict(operation: str) -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with changes_end_after_reads(999):
        arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
        with raises_aws("ConflictException", 409, "CREATING"):
            MUTATIONS[operation](client, arn)
        assert statuses(client, arn) == ("CREATING", {"us-east-1": "CREATING"})


@pytest.mark.parametrize("operation", sorted(UNDECLARED_CONFLICT))
@mock_aws
def test_call_without_a_declared_conflict_while_creating_is_a_validation_error(
    operation: str,
) -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with changes_end_after_reads(999):
        arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
        # botocore's model declares no ConflictException for these
        # (assumed: ValidationException).
        with raises_aws("ValidationException", 400, "CREATING"):
            UNDECLARED_CONFLICT[operation](client, arn)
        found = client.get_replication_set(arn=arn)["replicationSet"]
        assert found["status"] == "CREATING"
        assert found["regionMap"]["us-east-1"]["status"] == "CREATING"
        assert found["deletionProtected"] is False


@mock_aws
def test_mutating_call_while_updating_is_a_conflict() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    assert statuses(client, arn)[0] == "ACTIVE"
    with changes_end_after_reads(999):
        client.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "us-east-2"}}]
        )
        with raises_aws("ConflictException", 409, "UPDATING"):
            client.tag_resource(resourceArn=arn, tags={"a": "b"})


@mock_aws
def test_creation_fails_in_each_region_whose_key_is_unusable_before_it_ends() -> None:
    east, east_2 = create_key("us-east-1"), create_key("us-east-2")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with changes_end_after_reads(2):
        arn = client.create_replication_set(
            regions={
                "us-east-1": {"sseKmsKeyId": east},
                "us-east-2": {"sseKmsKeyId": east_2},
            }
        )["arn"]
        creating = {"us-east-1": "CREATING", "us-east-2": "CREATING"}
        assert statuses(client, arn) == ("CREATING", creating)
        disable_key(east)
        schedule_key_deletion(east_2)

        found = client.get_replication_set(arn=arn)["replicationSet"]

    assert found["status"] == "FAILED"
    outcomes = {
        name: (region["status"], region.get("statusMessage"))
        for name, region in found["regionMap"].items()
    }
    assert outcomes == {
        "us-east-1": ("FAILED", f"KMS key {east} is Disabled"),
        "us-east-2": ("FAILED", f"KMS key {east_2} is PendingDeletion"),
    }
    client.delete_replication_set(arn=arn)  # a failed set can still be cleaned up
    assert client.list_replication_sets()["replicationSetArns"] == []


@mock_aws
def test_creation_fails_only_in_the_region_whose_key_became_unusable() -> None:
    east, west = create_key("us-east-1"), create_key("us-west-2")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with changes_end_after_reads(2):
        arn = client.create_replication_set(
            regions={
                "us-east-1": {"sseKmsKeyId": east},
                "us-west-2": {"sseKmsKeyId": west},
            }
        )["arn"]
        statuses(client, arn)
        disable_key(west)
        assert statuses(client, arn) == (
            "FAILED",
            {"us-east-1": "ACTIVE", "us-west-2": "FAILED"},
        )


@mock_aws
def test_region_addition_fails_when_its_key_is_disabled_before_it_ends() -> None:
    east, west = create_key("us-east-1"), create_key("eu-west-1")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": east}},
    )["arn"]
    assert statuses(client, arn)[0] == "ACTIVE"
    with changes_end_after_reads(2):
        client.update_replication_set(
            arn=arn,
            actions=[
                {"addRegionAction": {"regionName": "eu-west-1", "sseKmsKeyId": west}}
            ],
        )
        updating = {"us-east-1": "ACTIVE", "eu-west-1": "CREATING"}
        assert statuses(client, arn) == ("UPDATING", updating)
        disable_key(west)

        found = client.get_replication_set(arn=arn)["replicationSet"]

    assert found["status"] == "FAILED"
    assert found["regionMap"]["eu-west-1"]["status"] == "FAILED"
    message = f"KMS key {west} is Disabled"
    assert found["regionMap"]["eu-west-1"]["statusMessage"] == message
    assert found["regionMap"]["us-east-1"]["status"] == "ACTIVE"
    assert "statusMessage" not in found["regionMap"]["us-east-1"]


def failed_addition(client: Any) -> str:
    """A set in us-east-1 whose addition of eu-west-1 failed (its key was disabled before
    the addition ended); the set's ARN."""
    east, west = create_key("us-east-1"), create_key("eu-west-1")
    arn: str = client.create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": east}}
    )["arn"]
    assert statuses(client, arn)[0] == "ACTIVE"
    with changes_end_after_reads(1):
        client.update_replication_set(
            arn=arn,
            actions=[
                {"addRegionAction": {"regionName": "eu-west-1", "sseKmsKeyId": west}}
            ],
        )
        disable_key(west)
        assert statuses(client, arn)[0] == "FAILED"
    return arn


@mock_aws
def test_a_failed_set_takes_no_update_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if settings.TEST_SERVER_MODE:
        pytest.skip("The server reads MOTO_SSM_INCIDENTS_* from its own environment")
    # Assumed rule: no source says whether the service lets a failed Region be
    # removed; strict by default.
    monkeypatch.delenv(FAILED_REGION_REMOVABLE, raising=False)
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = failed_addition(client)
    with raises_aws("ConflictException", 409, "FAILED"):
        client.update_replication_set(
            arn=arn, actions=[{"deleteRegionAction": {"regionName": "eu-west-1"}}]
        )
    assert statuses(client, arn) == (
        "FAILED",
        {"us-east-1": "ACTIVE", "eu-west-1": "FAILED"},
    )


@mock_aws
def test_with_the_switch_on_removing_the_failed_region_makes_the_set_active(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if settings.TEST_SERVER_MODE:
        pytest.skip("The server reads MOTO_SSM_INCIDENTS_* from its own environment")
    monkeypatch.setenv(FAILED_REGION_REMOVABLE, "true")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = failed_addition(client)
    with changes_end_after_reads(2):
        client.update_replication_set(
            arn=arn, actions=[{"deleteRegionAction": {"regionName": "eu-west-1"}}]
        )
        updating = {"us-east-1": "ACTIVE", "eu-west-1": "DELETING"}
        assert statuses(client, arn) == ("UPDATING", updating)
        assert statuses(client, arn) == ("ACTIVE", {"us-east-1": "ACTIVE"})


@mock_aws
def test_with_the_switch_on_a_failed_set_takes_only_the_removal_of_a_failed_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if settings.TEST_SERVER_MODE:
        pytest.skip("The server reads MOTO_SSM_INCIDENTS_* from its own environment")
    monkeypatch.setenv(FAILED_REGION_REMOVABLE, "true")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = failed_addition(client)
    with raises_aws("ConflictException", 409, "only a failed Region"):
        client.update_replication_set(
            arn=arn, actions=[{"deleteRegionAction": {"regionName": "us-east-1"}}]
        )
    with raises_aws("ConflictException", 409, "only a failed Region"):
        client.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "us-west-2"}}]
        )
    assert statuses(client, arn)[0] == "FAILED"
