"""The emulator as a moto service: its coverage list is true, and it works under @mock_aws as
moto's own service tests use it."""

from pathlib import Path

import boto3
from moto import mock_aws

from emulator.ssmincidents.responses import IMPLEMENTED_OPERATIONS, _method_name
from emulator.ssmincidents.validation import service_model
from tests.aws_errors import raises_aws

COVERAGE = Path(__file__).parents[2] / "emulator" / "IMPLEMENTATION_COVERAGE.md"


def test_the_implementation_coverage_lists_every_operation_and_ticks_the_implemented() -> None:
    listed = {
        line[6:]: line[3] == "X" for line in COVERAGE.read_text().splitlines() if line[:3] == "- ["
    }
    names = {_method_name(op): op for op in service_model().operation_names}
    assert set(listed) == set(names)
    assert {names[name] for name, done in listed.items() if done} == IMPLEMENTED_OPERATIONS


@mock_aws
def test_create_get_list_tag_and_delete_a_replication_set() -> None:
    client = boto3.client("ssm-incidents", region_name="eu-west-1")
    arn = client.create_replication_set(regions={"eu-west-1": {}}, tags={"team": "sre"})["arn"]
    assert client.list_replication_sets()["replicationSetArns"] == [arn]
    found = client.get_replication_set(arn=arn)["replicationSet"]
    assert (found["status"], list(found["regionMap"])) == ("ACTIVE", ["eu-west-1"])
    client.tag_resource(resourceArn=arn, tags={"env": "prod"})
    client.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "prod"}
    client.delete_replication_set(arn=arn)
    assert client.list_replication_sets()["replicationSetArns"] == []


@mock_aws
def test_list_pages_with_moto_s_paginator() -> None:
    client = boto3.client("ssm-incidents", region_name="eu-west-1")
    arn = client.create_replication_set(regions={"eu-west-1": {}})["arn"]
    page = client.list_replication_sets(maxResults=1)
    assert page["replicationSetArns"] == [arn] and "nextToken" not in page


@mock_aws
def test_a_next_token_the_paginator_never_gave_is_a_validation_error() -> None:
    client = boto3.client("ssm-incidents", region_name="eu-west-1")
    client.create_replication_set(regions={"eu-west-1": {}})
    with raises_aws("ValidationException", 400, "Invalid nextToken: bogus"):
        client.list_replication_sets(nextToken="bogus")
