"""UpdateReplicationSet's one-action rules, deletion protection, tags and listing."""

from mypy_boto3_ssm_incidents import SSMIncidentsClient

from tests.aws_errors import raises_aws


def create(client: SSMIncidentsClient, *regions: str) -> str:
    return client.create_replication_set(regions={r: {} for r in regions})["arn"]


def regions_of(client: SSMIncidentsClient, arn: str) -> list[str]:
    return sorted(client.get_replication_set(arn=arn)["replicationSet"]["regionMap"])


def test_update_takes_exactly_one_action(raw_incidents: SSMIncidentsClient) -> None:
    arn = create(raw_incidents, "us-east-1")
    two = [
        {"addRegionAction": {"regionName": "us-east-2"}},
        {"addRegionAction": {"regionName": "us-west-2"}},
    ]
    with raises_aws("ValidationException", 400, "actions"):
        raw_incidents.update_replication_set(arn=arn, actions=two)  # type: ignore[arg-type]
    with raises_aws("ValidationException", 400, "actions"):
        raw_incidents.update_replication_set(arn=arn, actions=[])
    assert regions_of(raw_incidents, arn) == ["us-east-1"]


def test_adding_a_present_region_is_invalid(incidents: SSMIncidentsClient) -> None:
    arn = create(incidents, "us-east-1")
    with raises_aws("ValidationException", 400, "us-east-1 is already"):
        incidents.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "us-east-1"}}]
        )


def test_adding_an_unknown_region_is_invalid(incidents: SSMIncidentsClient) -> None:
    arn = create(incidents, "us-east-1")
    with raises_aws("ValidationException", 400, "regionName"):
        incidents.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "moon-1"}}]
        )


def test_adding_a_fourth_region_is_invalid(incidents: SSMIncidentsClient) -> None:
    arn = create(incidents, "us-east-1", "us-east-2", "us-west-2")
    with raises_aws("ValidationException", 400, "at most 3 regions"):
        incidents.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
        )
    assert regions_of(incidents, arn) == ["us-east-1", "us-east-2", "us-west-2"]


def test_deleting_an_absent_region_is_invalid(incidents: SSMIncidentsClient) -> None:
    arn = create(incidents, "us-east-1", "us-east-2")
    with raises_aws("ValidationException", 400, "eu-west-1 is not in"):
        incidents.update_replication_set(
            arn=arn, actions=[{"deleteRegionAction": {"regionName": "eu-west-1"}}]
        )


def test_deleting_the_last_region_is_invalid(incidents: SSMIncidentsClient) -> None:
    arn = create(incidents, "us-east-1")
    with raises_aws("ValidationException", 400, "last region"):
        incidents.update_replication_set(
            arn=arn, actions=[{"deleteRegionAction": {"regionName": "us-east-1"}}]
        )
    assert regions_of(incidents, arn) == ["us-east-1"]


def test_update_of_an_unknown_set_is_not_found(incidents: SSMIncidentsClient) -> None:
    arn = "arn:aws:ssm-incidents::123456789012:replication-set/gone"
    with raises_aws("ResourceNotFoundException", 404, arn):
        incidents.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "us-east-1"}}]
        )


def test_deletion_protection_refuses_delete_until_turned_off(
    incidents: SSMIncidentsClient,
) -> None:
    arn = create(incidents, "us-east-1")
    incidents.update_deletion_protection(arn=arn, deletionProtected=True)
    with raises_aws("ValidationException", 400, "deletion protection"):
        incidents.delete_replication_set(arn=arn)
    assert incidents.list_replication_sets()["replicationSetArns"] == [arn]
    incidents.update_deletion_protection(arn=arn, deletionProtected=False)
    incidents.delete_replication_set(arn=arn)
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_tags_are_added_changed_and_removed(incidents: SSMIncidentsClient) -> None:
    arn = incidents.create_replication_set(
        regions={"us-east-1": {}}, tags={"team": "sre", "env": "dev"}
    )["arn"]
    incidents.tag_resource(resourceArn=arn, tags={"env": "prod", "cost": "42"})
    incidents.untag_resource(resourceArn=arn, tagKeys=["team", "absent"])
    assert incidents.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "env": "prod",
        "cost": "42",
    }


def test_aws_prefixed_tags_are_reserved(incidents: SSMIncidentsClient) -> None:
    arn = create(incidents, "us-east-1")
    with raises_aws("ValidationException", 400, "aws:"):
        incidents.tag_resource(resourceArn=arn, tags={"aws:cloudformation:stack-name": "x"})
    with raises_aws("ValidationException", 400, "aws:"):
        incidents.untag_resource(resourceArn=arn, tagKeys=["aws:cloudformation:stack-name"])


def test_tagging_past_fifty_tags_exceeds_the_quota(incidents: SSMIncidentsClient) -> None:
    arn = incidents.create_replication_set(
        regions={"us-east-1": {}}, tags={f"k{i}": "v" for i in range(50)}
    )["arn"]
    with raises_aws("ServiceQuotaExceededException", 402, "at most 50 tags"):
        incidents.tag_resource(resourceArn=arn, tags={"one-more": "v"})
    assert len(incidents.list_tags_for_resource(resourceArn=arn)["tags"]) == 50


def test_tags_of_an_unknown_resource_are_not_found(incidents: SSMIncidentsClient) -> None:
    arn = "arn:aws:ssm-incidents::123456789012:response-plan/p"
    with raises_aws("ResourceNotFoundException", 404):
        incidents.list_tags_for_resource(resourceArn=arn)
    with raises_aws("ResourceNotFoundException", 404):
        incidents.tag_resource(resourceArn=arn, tags={"a": "b"})


def test_listing_paginates(incidents: SSMIncidentsClient) -> None:
    assert incidents.list_replication_sets(maxResults=1)["replicationSetArns"] == []
    arn = create(incidents, "us-east-1")
    pages = list(
        incidents.get_paginator("list_replication_sets").paginate(PaginationConfig={"PageSize": 1})
    )
    assert [page["replicationSetArns"] for page in pages] == [[arn]]
    assert "nextToken" not in pages[-1]


def test_listing_rejects_a_token_it_did_not_issue(incidents: SSMIncidentsClient) -> None:
    with raises_aws("ValidationException", 400, "nextToken"):
        incidents.list_replication_sets(nextToken="garbage")
