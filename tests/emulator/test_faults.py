"""The fault-injection API: the next N calls of an operation fail with a chosen error."""

import boto3
import pytest
from mypy_boto3_ssm_incidents import SSMIncidentsClient

from emulator import control
from tests.aws_errors import raises_aws

STATUS = {
    "ThrottlingException": 429,
    "InternalServerException": 500,
    "AccessDeniedException": 403,
    "ServiceQuotaExceededException": 402,
    "ConflictException": 409,
    "ValidationException": 400,
}


@pytest.mark.parametrize("code", sorted(STATUS))
def test_injected_error_reaches_boto3_with_its_status(
    incidents: SSMIncidentsClient, code: str
) -> None:
    control.inject_fault("CreateReplicationSet", code, message="injected for the test")
    with raises_aws(code, STATUS[code], "injected for the test"):
        incidents.create_replication_set(regions={"us-east-1": {}})
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_fault_lasts_count_calls_then_the_operation_recovers(
    incidents: SSMIncidentsClient,
) -> None:
    control.inject_fault("ListReplicationSets", "InternalServerException", count=2)
    for _ in range(2):
        with raises_aws("InternalServerException", 500):
            incidents.list_replication_sets()
    assert incidents.list_replication_sets()["replicationSetArns"] == []
    assert control.call_counts()["ListReplicationSets"] == 3


def test_fault_touches_only_its_operation(incidents: SSMIncidentsClient) -> None:
    control.inject_fault("TagResource", "AccessDeniedException")
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    with raises_aws("AccessDeniedException", 403):
        incidents.tag_resource(resourceArn=arn, tags={"a": "b"})
    incidents.tag_resource(resourceArn=arn, tags={"a": "b"})
    assert incidents.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "b"}


def test_botocore_standard_retries_ride_out_transient_throttling(aws: None) -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    control.inject_fault("ListReplicationSets", "ThrottlingException", count=2)
    assert client.list_replication_sets()["replicationSetArns"] == []
    assert control.call_counts()["ListReplicationSets"] == 3


def test_mutating_calls_are_counted_apart_from_reads(incidents: SSMIncidentsClient) -> None:
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    incidents.get_replication_set(arn=arn)
    incidents.list_tags_for_resource(resourceArn=arn)
    assert control.mutating_calls() == {"CreateReplicationSet": 1}
    control.reset_call_counts()
    assert control.call_counts() == {}


@pytest.mark.parametrize(
    ("operation", "code"),
    [("CreateReplicationSets", "ThrottlingException"), ("CreateReplicationSet", "Oops")],
)
def test_injecting_an_unknown_operation_or_error_is_refused(
    aws: None, operation: str, code: str
) -> None:
    with pytest.raises(ValueError, match=r"unknown|cannot inject"):
        control.inject_fault(operation, code)


def test_uncounted_calls_are_left_out_of_the_counts(incidents: SSMIncidentsClient) -> None:
    incidents.list_replication_sets()
    with control.uncounted():
        incidents.list_replication_sets()
    assert control.call_counts() == {"ListReplicationSets": 1}


def test_a_fault_can_let_calls_through_first(incidents: SSMIncidentsClient) -> None:
    control.inject_fault("ListReplicationSets", "AccessDeniedException", after=2)
    incidents.list_replication_sets()
    incidents.list_replication_sets()
    with raises_aws("AccessDeniedException", 403):
        incidents.list_replication_sets()
    assert incidents.list_replication_sets()["replicationSetArns"] == []
