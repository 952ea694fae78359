"""Server-side validation: every rule answers ValidationException (400), names the field,
and creates nothing."""

import pytest
from mypy_boto3_ssm_incidents import SSMIncidentsClient
from mypy_boto3_ssm_incidents.type_defs import RegionMapInputValueTypeDef

from tests.aws_errors import raises_aws

ONE_REGION: dict[str, RegionMapInputValueTypeDef] = {"us-east-1": {}}


def assert_nothing_created(client: SSMIncidentsClient) -> None:
    assert client.list_replication_sets()["replicationSetArns"] == []


@pytest.mark.parametrize(
    ("regions", "fragment"),
    [
        ({}, "regions"),
        (
            {r: {} for r in ("us-east-1", "us-east-2", "us-west-1", "us-west-2")},
            "'regions' failed to satisfy constraint: Member must have length less than or equal",
        ),
        ({"mars-east-1": {}}, "regions.mars-east-1"),
        ({"x" * 21: {}}, "length less than or equal to 20"),
    ],
    ids=["no-region", "four-regions", "unknown-region", "long-region-name"],
)
def test_create_rejects_bad_regions(
    raw_incidents: SSMIncidentsClient, regions: dict[str, RegionMapInputValueTypeDef], fragment: str
) -> None:
    with raises_aws("ValidationException", 400, fragment):
        raw_incidents.create_replication_set(regions=regions)
    assert_nothing_created(raw_incidents)


def test_create_rejects_client_token_over_128_chars(raw_incidents: SSMIncidentsClient) -> None:
    with raises_aws("ValidationException", 400, "clientToken"):
        raw_incidents.create_replication_set(regions=ONE_REGION, clientToken="t" * 129)
    assert_nothing_created(raw_incidents)


def test_create_accepts_client_token_of_128_chars(incidents: SSMIncidentsClient) -> None:
    arn = incidents.create_replication_set(regions=ONE_REGION, clientToken="t" * 128)["arn"]
    assert incidents.list_replication_sets()["replicationSetArns"] == [arn]


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        ({f"k{i}": "v" for i in range(51)}, "length less than or equal to 50"),
        ({"aws:owner": "me"}, "Value 'aws:owner' at 'tags' failed to satisfy constraint: Map keys"),
        ({"k" * 129: "v"}, "Map keys must satisfy constraint: [Member must have length less"),
        ({"": "v"}, "Map keys must satisfy constraint: [Member must have length greater"),
        ({"bad!key": "v"}, "Value 'bad!key' at 'tags'"),
        ({"team": "v" * 257}, "less than or equal to 256"),
        ({"team": "sre#1"}, "tags.team"),
    ],
    ids=[
        "51-tags",
        "aws-prefix",
        "long-key",
        "empty-key",
        "bad-key-char",
        "long-value",
        "bad-value",
    ],
)
def test_create_rejects_bad_tags(
    raw_incidents: SSMIncidentsClient, tags: dict[str, str], fragment: str
) -> None:
    with raises_aws("ValidationException", 400, fragment):
        raw_incidents.create_replication_set(regions=ONE_REGION, tags=tags)
    assert_nothing_created(raw_incidents)


def test_create_accepts_fifty_tags_with_every_allowed_character(
    incidents: SSMIncidentsClient,
) -> None:
    tags = {f"k{i}": "v" for i in range(49)} | {"a _=@:.+-/Z9": "a _=@:.+-/Z9"}
    arn = incidents.create_replication_set(regions=ONE_REGION, tags=tags)["arn"]
    assert incidents.list_tags_for_resource(resourceArn=arn)["tags"] == tags


@pytest.mark.parametrize(
    "arn",
    ["not-an-arn", "arn:aws:ssm-incidents::12345:replication-set/x", "arn:aws-iso:s::1:x"],
)
def test_get_rejects_arn_that_does_not_match_the_model_pattern(
    raw_incidents: SSMIncidentsClient, arn: str
) -> None:
    with raises_aws("ValidationException", 400, "'arn'", "pattern"):
        raw_incidents.get_replication_set(arn=arn)


def test_tag_resource_arn_has_no_pattern_in_the_model_so_a_bad_one_is_not_found(
    raw_incidents: SSMIncidentsClient,
) -> None:
    # resourceArn is a plain String in the model: no pattern to break, just nothing found.
    with raises_aws("ResourceNotFoundException", 404, "nope"):
        raw_incidents.tag_resource(resourceArn="nope", tags={"a": "b"})


def test_list_rejects_max_results_out_of_range(raw_incidents: SSMIncidentsClient) -> None:
    with raises_aws("ValidationException", 400, "maxResults"):
        raw_incidents.list_replication_sets(maxResults=101)


def test_tag_patterns_are_the_models_own_comma_included(incidents: SSMIncidentsClient) -> None:
    # In the model's "[A-Za-z0-9 _=@:.+-/]" the hyphen makes a range from "+" to "/".
    arn = incidents.create_replication_set(regions=ONE_REGION, tags={"a,b": "c,d"})["arn"]
    assert incidents.list_tags_for_resource(resourceArn=arn)["tags"] == {"a,b": "c,d"}
