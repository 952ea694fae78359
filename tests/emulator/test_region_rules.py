"""The service's Region rules: a set answers only in its own Regions, is created through one of
them, and (with the assumed switch on) keeps a new Region for a while before it can go."""

from collections.abc import Callable

import boto3
import pytest
from mypy_boto3_ssm_incidents import SSMIncidentsClient

from emulator import control
from tests.aws_errors import raises_aws
from tests.conftest import NO_RETRY

#: Every operation about one set, called through a Region that is not in it.
ABOUT_THE_SET: dict[str, Callable[[SSMIncidentsClient, str], object]] = {
    "GetReplicationSet": lambda c, arn: c.get_replication_set(arn=arn),
    "UpdateReplicationSet": lambda c, arn: c.update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
    ),
    "UpdateDeletionProtection": lambda c, arn: c.update_deletion_protection(
        arn=arn, deletionProtected=True
    ),
    "DeleteReplicationSet": lambda c, arn: c.delete_replication_set(arn=arn),
    "TagResource": lambda c, arn: c.tag_resource(resourceArn=arn, tags={"a": "b"}),
    "UntagResource": lambda c, arn: c.untag_resource(resourceArn=arn, tagKeys=["a"]),
    "ListTagsForResource": lambda c, arn: c.list_tags_for_resource(resourceArn=arn),
}


def client(region: str) -> SSMIncidentsClient:
    return boto3.client("ssm-incidents", region_name=region, config=NO_RETRY)


@pytest.mark.parametrize("operation", sorted(ABOUT_THE_SET))
def test_calls_about_the_set_from_a_region_outside_it_are_not_found(
    incidents: SSMIncidentsClient, operation: str
) -> None:
    arn = incidents.create_replication_set(regions={"us-east-1": {}, "us-west-2": {}})["arn"]
    with raises_aws("ResourceNotFoundException", 404, arn, "ap-south-1"):
        ABOUT_THE_SET[operation](client("ap-south-1"), arn)
    found = incidents.get_replication_set(arn=arn)["replicationSet"]
    assert sorted(found["regionMap"]) == ["us-east-1", "us-west-2"]
    assert found["deletionProtected"] is False
    assert client("us-west-2").list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_list_answers_from_any_region(incidents: SSMIncidentsClient) -> None:
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    assert client("ap-south-1").list_replication_sets()["replicationSetArns"] == [arn]


def test_create_must_include_the_region_it_is_called_in(incidents: SSMIncidentsClient) -> None:
    # The native type's contract test inputs_1_invalid.json: a set whose only Region is another.
    with raises_aws("ValidationException", 400, "us-east-1", "must be one of", "us-west-2"):
        incidents.create_replication_set(regions={"us-west-2": {}})
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_a_set_is_reached_through_another_of_its_regions_after_the_first_one_left(
    incidents: SSMIncidentsClient,
) -> None:
    arn = incidents.create_replication_set(regions={"us-east-1": {}, "us-west-2": {}})["arn"]
    west = client("us-west-2")
    west.update_replication_set(
        arn=arn, actions=[{"deleteRegionAction": {"regionName": "us-east-1"}}]
    )
    with raises_aws("ResourceNotFoundException", 404, arn):
        incidents.get_replication_set(arn=arn)
    assert list(west.get_replication_set(arn=arn)["replicationSet"]["regionMap"]) == ["us-west-2"]
    assert incidents.list_replication_sets()["replicationSetArns"] == [arn]


@pytest.fixture
def day_rule(incidents: SSMIncidentsClient) -> SSMIncidentsClient:
    control.set_region_removal_min_age(86400)
    return incidents


def test_with_the_switch_on_a_young_region_cannot_be_removed(day_rule: SSMIncidentsClient) -> None:
    arn = day_rule.create_replication_set(regions={"us-east-1": {}})["arn"]
    day_rule.update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
    )
    control.advance_clock(86399)
    remove = [{"deleteRegionAction": {"regionName": "eu-west-1"}}]
    with raises_aws("ValidationException", 400, "eu-west-1", "was added at", "86400 seconds"):
        day_rule.update_replication_set(arn=arn, actions=remove)  # type: ignore[arg-type]
    assert sorted(day_rule.get_replication_set(arn=arn)["replicationSet"]["regionMap"]) == [
        "eu-west-1",
        "us-east-1",
    ]
    control.advance_clock(1)
    day_rule.update_replication_set(arn=arn, actions=remove)  # type: ignore[arg-type]
    assert list(day_rule.get_replication_set(arn=arn)["replicationSet"]["regionMap"]) == [
        "us-east-1"
    ]


def test_with_the_switch_on_the_initial_regions_age_from_the_creation(
    day_rule: SSMIncidentsClient,
) -> None:
    arn = day_rule.create_replication_set(regions={"us-east-1": {}, "eu-west-1": {}})["arn"]
    remove = [{"deleteRegionAction": {"regionName": "eu-west-1"}}]
    with raises_aws("ValidationException", 400, "eu-west-1"):
        day_rule.update_replication_set(arn=arn, actions=remove)  # type: ignore[arg-type]
    control.advance_clock(86400)
    day_rule.update_replication_set(arn=arn, actions=remove)  # type: ignore[arg-type]


def test_with_the_switch_off_a_region_can_be_removed_at_once(
    incidents: SSMIncidentsClient,
) -> None:
    arn = incidents.create_replication_set(regions={"us-east-1": {}, "eu-west-1": {}})["arn"]
    incidents.update_replication_set(
        arn=arn, actions=[{"deleteRegionAction": {"regionName": "eu-west-1"}}]
    )
    assert list(incidents.get_replication_set(arn=arn)["replicationSet"]["regionMap"]) == [
        "us-east-1"
    ]


def test_the_switch_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSM_INCIDENTS_REGION_REMOVAL_MIN_AGE_SECONDS", "600")
    from moto import mock_aws  # noqa: PLC0415 - a fresh backend that reads the variable

    with mock_aws():
        assert control.backend().removal_min_age_seconds == 600


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("GetReplicationSet", "ConflictException"),
        ("DeleteReplicationSet", "ConflictException"),
        ("UpdateDeletionProtection", "ConflictException"),
        ("ListReplicationSets", "ResourceNotFoundException"),
        ("ListTagsForResource", "ServiceQuotaExceededException"),
    ],
)
def test_faults_the_model_does_not_declare_cannot_be_injected(
    aws: None, operation: str, code: str
) -> None:
    with pytest.raises(ValueError, match=f"{operation} never answers '{code}'"):
        control.inject_fault(operation, code)


def test_an_error_the_model_does_not_declare_is_an_emulator_bug_not_an_answer(
    incidents: SSMIncidentsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emulator.ssmincidents.exceptions import ConflictException  # noqa: PLC0415

    def conflicting(*_: object) -> None:
        raise ConflictException("never sent by GetReplicationSet")

    monkeypatch.setattr(type(control.backend()), "get_replication_set", conflicting)
    with pytest.raises(AssertionError, match="GetReplicationSet raised ConflictException"):
        incidents.get_replication_set(arn="arn:aws:ssm-incidents::123456789012:replication-set/x")


def test_a_region_of_another_partition_is_refused_naming_it(incidents: SSMIncidentsClient) -> None:
    with raises_aws(
        "ValidationException", 400, "'us-gov-west-1' is a Region of partition aws-us-gov"
    ):
        incidents.create_replication_set(regions={"us-east-1": {}, "us-gov-west-1": {}})
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    with raises_aws("ValidationException", 400, "'cn-north-1' is a Region of partition aws-cn"):
        incidents.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "cn-north-1"}}]
        )
