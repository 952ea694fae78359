"""Status transitions of the set and of each region, on the emulator's movable clock."""

from collections.abc import Callable
from datetime import datetime

import boto3
import pytest
from mypy_boto3_ssm_incidents import SSMIncidentsClient

from emulator import control
from tests.aws_errors import raises_aws

SECONDS = 30


@pytest.fixture
def slow(incidents: SSMIncidentsClient) -> SSMIncidentsClient:
    control.set_transition_seconds(SECONDS)
    return incidents


def statuses(client: SSMIncidentsClient, arn: str) -> tuple[str, dict[str, str]]:
    rs = client.get_replication_set(arn=arn)["replicationSet"]
    return rs["status"], {name: info["status"] for name, info in rs["regionMap"].items()}


def active_set(client: SSMIncidentsClient, *regions: str) -> str:
    arn = client.create_replication_set(regions={r: {} for r in regions})["arn"]
    control.advance_clock(SECONDS)
    return arn


def test_new_set_is_creating_then_active(slow: SSMIncidentsClient) -> None:
    arn = slow.create_replication_set(regions={"us-east-1": {}, "us-east-2": {}})["arn"]
    assert statuses(slow, arn) == ("CREATING", {"us-east-1": "CREATING", "us-east-2": "CREATING"})
    control.advance_clock(SECONDS - 1)
    assert statuses(slow, arn)[0] == "CREATING"
    control.advance_clock(1)
    assert statuses(slow, arn) == ("ACTIVE", {"us-east-1": "ACTIVE", "us-east-2": "ACTIVE"})


def test_adding_a_region_is_updating_then_active(slow: SSMIncidentsClient) -> None:
    arn = active_set(slow, "us-east-1")
    slow.update_replication_set(arn=arn, actions=[{"addRegionAction": {"regionName": "us-west-2"}}])
    assert statuses(slow, arn) == ("UPDATING", {"us-east-1": "ACTIVE", "us-west-2": "CREATING"})
    control.advance_clock(SECONDS)
    assert statuses(slow, arn) == ("ACTIVE", {"us-east-1": "ACTIVE", "us-west-2": "ACTIVE"})


def test_deleting_a_region_is_updating_then_gone(slow: SSMIncidentsClient) -> None:
    arn = active_set(slow, "us-east-1", "us-west-2")
    slow.update_replication_set(
        arn=arn, actions=[{"deleteRegionAction": {"regionName": "us-west-2"}}]
    )
    assert statuses(slow, arn) == ("UPDATING", {"us-east-1": "ACTIVE", "us-west-2": "DELETING"})
    control.advance_clock(SECONDS)
    assert statuses(slow, arn) == ("ACTIVE", {"us-east-1": "ACTIVE"})


def test_deleted_set_is_deleting_then_not_found(slow: SSMIncidentsClient) -> None:
    arn = active_set(slow, "us-east-1")
    slow.delete_replication_set(arn=arn)
    assert statuses(slow, arn) == ("DELETING", {"us-east-1": "DELETING"})
    control.advance_clock(SECONDS)
    with raises_aws("ResourceNotFoundException", 404, arn):
        slow.get_replication_set(arn=arn)
    assert slow.list_replication_sets()["replicationSetArns"] == []


#: The mutations whose model declares ConflictException; the others answer ValidationException.
MUTATIONS: dict[str, Callable[[SSMIncidentsClient, str], object]] = {
    "UpdateReplicationSet": lambda c, arn: c.update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "us-west-2"}}]
    ),
    "TagResource": lambda c, arn: c.tag_resource(resourceArn=arn, tags={"a": "b"}),
    "UntagResource": lambda c, arn: c.untag_resource(resourceArn=arn, tagKeys=["a"]),
}


@pytest.mark.parametrize("operation", sorted(MUTATIONS))
def test_mutating_call_while_creating_is_a_conflict(
    slow: SSMIncidentsClient, operation: str
) -> None:
    arn = slow.create_replication_set(regions={"us-east-1": {}})["arn"]
    with raises_aws("ConflictException", 409, "CREATING"):
        MUTATIONS[operation](slow, arn)
    assert statuses(slow, arn) == ("CREATING", {"us-east-1": "CREATING"})


UNDECLARED_CONFLICT: dict[str, Callable[[SSMIncidentsClient, str], object]] = {
    "UpdateDeletionProtection": lambda c, arn: c.update_deletion_protection(
        arn=arn, deletionProtected=True
    ),
    "DeleteReplicationSet": lambda c, arn: c.delete_replication_set(arn=arn),
}


@pytest.mark.parametrize("operation", sorted(UNDECLARED_CONFLICT))
def test_call_without_a_declared_conflict_while_creating_is_a_validation_error(
    slow: SSMIncidentsClient, operation: str
) -> None:
    # botocore's model declares no ConflictException for these (assumed: ValidationException).
    arn = slow.create_replication_set(regions={"us-east-1": {}})["arn"]
    with raises_aws("ValidationException", 400, "CREATING"):
        UNDECLARED_CONFLICT[operation](slow, arn)
    assert statuses(slow, arn) == ("CREATING", {"us-east-1": "CREATING"})
    assert slow.get_replication_set(arn=arn)["replicationSet"]["deletionProtected"] is False


def test_mutating_call_while_updating_is_a_conflict(slow: SSMIncidentsClient) -> None:
    arn = active_set(slow, "us-east-1")
    slow.update_replication_set(arn=arn, actions=[{"addRegionAction": {"regionName": "us-east-2"}}])
    with raises_aws("ConflictException", 409, "UPDATING"):
        slow.tag_resource(resourceArn=arn, tags={"a": "b"})


def test_failed_creation_reports_failed_with_a_message_per_region(
    incidents: SSMIncidentsClient,
) -> None:
    control.fail_next_transition("KMS key is pending deletion")
    arn = incidents.create_replication_set(regions={"us-east-1": {}, "us-east-2": {}})["arn"]
    region_map = incidents.get_replication_set(arn=arn)["replicationSet"]["regionMap"]
    assert incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "FAILED"
    assert {n: (i["status"], i.get("statusMessage")) for n, i in region_map.items()} == {
        "us-east-1": ("FAILED", "KMS key is pending deletion"),
        "us-east-2": ("FAILED", "KMS key is pending deletion"),
    }
    incidents.delete_replication_set(arn=arn)  # a failed set can still be cleaned up
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_failed_region_addition_reports_failed(incidents: SSMIncidentsClient) -> None:
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    control.fail_next_transition("capacity")
    incidents.update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
    )
    rs = incidents.get_replication_set(arn=arn)["replicationSet"]
    assert rs["status"] == "FAILED"
    assert rs["regionMap"]["eu-west-1"]["status"] == "FAILED"
    assert rs["regionMap"]["eu-west-1"]["statusMessage"] == "capacity"
    assert rs["regionMap"]["us-east-1"]["status"] == "ACTIVE"


def test_audit_fields_are_filled_and_last_modified_moves_on_update(
    slow: SSMIncidentsClient,
) -> None:
    arn = active_set(slow, "us-east-1")
    before = slow.get_replication_set(arn=arn)["replicationSet"]
    assert before["createdBy"] == "arn:aws:iam::123456789012:root"
    assert before["lastModifiedBy"] == before["createdBy"]
    assert isinstance(before["createdTime"], datetime)
    assert before["deletionProtected"] is False
    control.advance_clock(60)
    slow.update_deletion_protection(arn=arn, deletionProtected=True)
    after = slow.get_replication_set(arn=arn)["replicationSet"]
    assert after["deletionProtected"] is True
    assert after["createdTime"] == before["createdTime"]
    assert (after["lastModifiedTime"] - before["lastModifiedTime"]).total_seconds() >= 60


def test_the_set_is_listed_everywhere_and_answers_in_each_of_its_regions(
    incidents: SSMIncidentsClient,
) -> None:
    arn = incidents.create_replication_set(regions={"us-east-1": {}, "eu-west-1": {}})["arn"]
    for region in ("eu-west-1", "ap-south-1"):
        client = boto3.client("ssm-incidents", region_name=region)
        assert client.list_replication_sets()["replicationSetArns"] == [arn]
    west = boto3.client("ssm-incidents", region_name="eu-west-1")
    assert west.get_replication_set(arn=arn)["replicationSet"]["arn"] == arn
