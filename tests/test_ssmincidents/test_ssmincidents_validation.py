"""Server-side validation: every rule answers ValidationException (400), names the field,
and creates nothing."""

from typing import Any

import boto3
import pytest

from moto import mock_aws

from .helpers import raises_aws, unchecked_client


def assert_nothing_created(client: Any) -> None:
    assert client.list_replication_sets()["replicationSetArns"] == []


@pytest.mark.parametrize(
    ("regions", "fragment"),
    [
        ({}, "regions"),
        (
            {r: {} for r in ("us-east-1", "us-east-2", "us-west-1", "us-west-2")},
            "'regions' failed to satisfy constraint: Member must have length less "
            "than or equal",
        ),
        ({"mars-east-1": {}}, "regions.mars-east-1"),
        ({"x" * 21: {}}, "length less than or equal to 20"),
    ],
    ids=["no-region", "four-regions", "unknown-region", "long-region-name"],
)
@mock_aws
def test_create_rejects_bad_regions(regions: dict[str, Any], fragment: str) -> None:
    client = unchecked_client()
    with raises_aws("ValidationException", 400, fragment):
        client.create_replication_set(regions=regions)
    assert_nothing_created(client)


@mock_aws
def test_create_rejects_client_token_over_128_chars() -> None:
    client = unchecked_client()
    with raises_aws("ValidationException", 400, "clientToken"):
        client.create_replication_set(regions={"us-east-1": {}}, clientToken="t" * 129)
    assert_nothing_created(client)


@mock_aws
def test_create_accepts_client_token_of_128_chars() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {}}, clientToken="t" * 128
    )["arn"]
    assert client.list_replication_sets()["replicationSetArns"] == [arn]


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        ({f"k{i}": "v" for i in range(51)}, "length less than or equal to 50"),
        (
            {"aws:owner": "me"},
            "Value 'aws:owner' at 'tags' failed to satisfy constraint: Map keys",
        ),
        (
            {"k" * 129: "v"},
            "Map keys must satisfy constraint: [Member must have length less",
        ),
        (
            {"": "v"},
            "Map keys must satisfy constraint: [Member must have length greater",
        ),
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
@mock_aws
def test_create_rejects_bad_tags(tags: dict[str, str], fragment: str) -> None:
    client = unchecked_client()
    with raises_aws("ValidationException", 400, fragment):
        client.create_replication_set(regions={"us-east-1": {}}, tags=tags)
    assert_nothing_created(client)


@mock_aws
def test_create_accepts_fifty_tags_with_every_allowed_character() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    tags = {f"k{i}": "v" for i in range(49)} | {"a _=@:.+-/Z9": "a _=@:.+-/Z9"}
    arn = client.create_replication_set(regions={"us-east-1": {}}, tags=tags)["arn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == tags


@pytest.mark.parametrize(
    "arn",
    [
        "not-an-arn",
        "arn:aws:ssm-incidents::12345:replication-set/x",
        "arn:aws-iso:s::1:x",
    ],
)
@mock_aws
def test_get_rejects_arn_that_does_not_match_the_model_pattern(arn: str) -> None:
    client = unchecked_client()
    with raises_aws("ValidationException", 400, "'arn'", "pattern"):
        client.get_replication_set(arn=arn)


@mock_aws
def test_tag_resource_arn_has_no_pattern_so_a_bad_one_is_not_found() -> None:
    client = unchecked_client()
    # resourceArn is a plain String in the model: no pattern to break, just nothing
    # found.
    with raises_aws("ResourceNotFoundException", 404, "nope"):
        client.tag_resource(resourceArn="nope", tags={"a": "b"})


@mock_aws
def test_list_rejects_max_results_out_of_range() -> None:
    client = unchecked_client()
    with raises_aws("ValidationException", 400, "maxResults"):
        client.list_replication_sets(maxResults=101)


@mock_aws
def test_tag_patterns_are_the_models_own_comma_included() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    # In the model's "[A-Za-z0-9 _=@:.+-/]" the hyphen makes a range from "+" to "/".
    arn = client.create_replication_set(
        regions={"us-east-1": {}},
        tags={"a,b": "c,d"},
    )["arn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"a,b": "c,d"}


@pytest.mark.parametrize(
    ("operation", "kwargs", "member"),
    [
        ("get_replication_set", {}, "arn"),
        ("delete_replication_set", {}, "arn"),
        (
            "untag_resource",
            {"resourceArn": "arn:aws:ssm-incidents::1:replication-set/x"},
            "tagKeys",
        ),
    ],
)
@mock_aws
def test_a_missing_required_query_member_is_a_validation_error_not_a_bare_404(
    operation: str, kwargs: dict[str, Any], member: str
) -> None:
    # The model requires it; AWS routes on method and path, then validates.
    client = unchecked_client()
    with raises_aws(
        "ValidationException",
        400,
        f"Value null at '{member}'",
        "Member must not be null",
    ):
        getattr(client, operation)(**kwargs)
