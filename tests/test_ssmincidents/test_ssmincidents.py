"""Incident Manager's replication set: create, read, list, update, tag and delete; one
set per account, clientToken idempotency, UpdateReplicationSet's rules and deletion
protection."""

from datetime import datetime
from typing import Any

import boto3

from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from .helpers import raises_aws, unchecked_client

UNKNOWN_SET = f"arn:aws:ssm-incidents::{DEFAULT_ACCOUNT_ID}:replication-set/gone"


def regions_of(client: Any, arn: str) -> list[str]:
    found = client.get_replication_set(arn=arn)["replicationSet"]
    return sorted(found["regionMap"])


@mock_aws
def test_create_get_list_tag_and_delete_a_replication_set() -> None:
    client = boto3.client("ssm-incidents", region_name="eu-west-1")
    arn = client.create_replication_set(
        regions={"eu-west-1": {}}, tags={"team": "sre"}
    )["arn"]
    assert arn.startswith(
        f"arn:aws:ssm-incidents::{DEFAULT_ACCOUNT_ID}:replication-set/"
    )
    assert client.list_replication_sets()["replicationSetArns"] == [arn]
    found = client.get_replication_set(arn=arn)["replicationSet"]
    assert found["arn"] == arn
    assert found["status"] == "ACTIVE"
    assert found["regionMap"]["eu-west-1"]["status"] == "ACTIVE"
    assert found["regionMap"]["eu-west-1"]["sseKmsKeyId"] == "DefaultKey"
    client.tag_resource(resourceArn=arn, tags={"env": "prod"})
    client.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "prod"}
    client.delete_replication_set(arn=arn)
    assert client.list_replication_sets()["replicationSetArns"] == []


@mock_aws
def test_audit_fields_name_the_caller_and_an_update_moves_last_modified() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    before = client.get_replication_set(arn=arn)["replicationSet"]
    assert before["createdBy"] == f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root"
    assert before["lastModifiedBy"] == before["createdBy"]
    assert isinstance(before["createdTime"], datetime)
    assert before["deletionProtected"] is False

    client.update_deletion_protection(arn=arn, deletionProtected=True)

    after = client.get_replication_set(arn=arn)["replicationSet"]
    assert after["deletionProtected"] is True
    assert after["createdTime"] == before["createdTime"]
    assert after["lastModifiedTime"] >= before["lastModifiedTime"]


@mock_aws
def test_second_set_is_refused_with_service_quota_exceeded() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    first = client.create_replication_set(
        regions={"us-east-1": {}},
        clientToken="one",
    )["arn"]
    with raises_aws("ServiceQuotaExceededException", 402, "one already exists") as err:
        client.create_replication_set(
            regions={"us-east-1": {}, "us-east-2": {}}, clientToken="two"
        )
    response = err.value.response
    assert response["serviceCode"] == "ssm-incidents"  # type: ignore[typeddict-item]
    assert response["quotaCode"]  # type: ignore[typeddict-item]
    assert client.list_replication_sets()["replicationSetArns"] == [first]


@mock_aws
def test_same_token_and_request_returns_the_same_arn_and_creates_nothing() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    first = client.create_replication_set(
        regions={"us-east-1": {}}, tags={"team": "sre"}, clientToken="tok"
    )["arn"]
    again = client.create_replication_set(
        regions={"us-east-1": {}}, tags={"team": "sre"}, clientToken="tok"
    )["arn"]
    assert again == first
    assert client.list_replication_sets()["replicationSetArns"] == [first]


@mock_aws
def test_same_token_with_a_different_request_is_a_conflict() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    first = client.create_replication_set(
        regions={"us-east-1": {}},
        clientToken="tok",
    )["arn"]
    with raises_aws("ConflictException", 409, "tok"):
        client.create_replication_set(
            regions={"us-east-1": {}, "us-east-2": {}}, clientToken="tok"
        )
    assert client.list_replication_sets()["replicationSetArns"] == [first]


@mock_aws
def test_a_new_set_can_be_created_after_the_old_one_is_deleted() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    first = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    client.delete_replication_set(arn=first)
    second = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    assert second != first
    assert client.list_replication_sets()["replicationSetArns"] == [second]


@mock_aws
def test_update_takes_exactly_one_action() -> None:
    client = unchecked_client()
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    two = [
        {"addRegionAction": {"regionName": "us-east-2"}},
        {"addRegionAction": {"regionName": "us-west-2"}},
    ]
    with raises_aws("ValidationException", 400, "actions"):
        client.update_replication_set(arn=arn, actions=two)
    with raises_aws("ValidationException", 400, "actions"):
        client.update_replication_set(arn=arn, actions=[])
    assert regions_of(client, arn) == ["us-east-1"]


@mock_aws
def test_adding_a_present_region_is_invalid() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    with raises_aws("ValidationException", 400, "us-east-1 is already"):
        client.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "us-east-1"}}]
        )


@mock_aws
def test_adding_an_unknown_region_is_invalid() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    with raises_aws("ValidationException", 400, "regionName"):
        client.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "moon-1"}}]
        )


@mock_aws
def test_adding_a_fourth_region_is_invalid() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {}, "us-east-2": {}, "us-west-2": {}}
    )["arn"]
    with raises_aws("ValidationException", 400, "at most 3 regions"):
        client.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
        )
    assert regions_of(client, arn) == ["us-east-1", "us-east-2", "us-west-2"]


@mock_aws
def test_deleting_an_absent_region_is_invalid() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {}, "us-east-2": {}},
    )["arn"]
    with raises_aws("ValidationException", 400, "eu-west-1 is not in"):
        client.update_replication_set(
            arn=arn, actions=[{"deleteRegionAction": {"regionName": "eu-west-1"}}]
        )


@mock_aws
def test_deleting_the_last_region_is_invalid() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    with raises_aws("ValidationException", 400, "last region"):
        client.update_replication_set(
            arn=arn, actions=[{"deleteRegionAction": {"regionName": "us-east-1"}}]
        )
    assert regions_of(client, arn) == ["us-east-1"]


@mock_aws
def test_update_of_an_unknown_set_is_not_found() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with raises_aws("ResourceNotFoundException", 404, UNKNOWN_SET):
        client.update_replication_set(
            arn=UNKNOWN_SET,
            actions=[{"addRegionAction": {"regionName": "us-east-1"}}],
        )


@mock_aws
def test_deletion_protection_refuses_delete_until_turned_off() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    client.update_deletion_protection(arn=arn, deletionProtected=True)
    with raises_aws("ValidationException", 400, "deletion protection"):
        client.delete_replication_set(arn=arn)
    assert client.list_replication_sets()["replicationSetArns"] == [arn]
    client.update_deletion_protection(arn=arn, deletionProtected=False)
    client.delete_replication_set(arn=arn)
    assert client.list_replication_sets()["replicationSetArns"] == []


@mock_aws
def test_tags_are_added_changed_and_removed() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {}}, tags={"team": "sre", "env": "dev"}
    )["arn"]
    client.tag_resource(resourceArn=arn, tags={"env": "prod", "cost": "42"})
    client.untag_resource(resourceArn=arn, tagKeys=["team", "absent"])
    tags = client.list_tags_for_resource(resourceArn=arn)["tags"]
    assert tags == {"env": "prod", "cost": "42"}


@mock_aws
def test_aws_prefixed_tags_are_reserved() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    with raises_aws("ValidationException", 400, "aws:"):
        client.tag_resource(
            resourceArn=arn, tags={"aws:cloudformation:stack-name": "x"}
        )
    with raises_aws("ValidationException", 400, "aws:"):
        client.untag_resource(
            resourceArn=arn, tagKeys=["aws:cloudformation:stack-name"]
        )


@mock_aws
def test_tagging_past_fifty_tags_exceeds_the_quota() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {}}, tags={f"k{i}": "v" for i in range(50)}
    )["arn"]
    with raises_aws("ServiceQuotaExceededException", 402, "at most 50 tags"):
        client.tag_resource(resourceArn=arn, tags={"one-more": "v"})
    assert len(client.list_tags_for_resource(resourceArn=arn)["tags"]) == 50


@mock_aws
def test_tags_of_an_unknown_resource_are_not_found() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = f"arn:aws:ssm-incidents::{DEFAULT_ACCOUNT_ID}:response-plan/p"
    with raises_aws("ResourceNotFoundException", 404):
        client.list_tags_for_resource(resourceArn=arn)
    with raises_aws("ResourceNotFoundException", 404):
        client.tag_resource(resourceArn=arn, tags={"a": "b"})


@mock_aws
def test_list_pages_with_the_paginator() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    assert client.list_replication_sets(maxResults=1)["replicationSetArns"] == []
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]

    page = client.list_replication_sets(maxResults=1)
    assert page["replicationSetArns"] == [arn]
    assert "nextToken" not in page
    paginator = client.get_paginator("list_replication_sets")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 1}))
    assert [page["replicationSetArns"] for page in pages] == [[arn]]


@mock_aws
def test_a_next_token_the_service_never_gave_is_a_validation_error() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with raises_aws("ValidationException", 400, "Invalid nextToken: garbage"):
        client.list_replication_sets(nextToken="garbage")
    client.create_replication_set(regions={"us-east-1": {}})
    with raises_aws("ValidationException", 400, "Invalid nextToken: bogus"):
        client.list_replication_sets(nextToken="bogus")
