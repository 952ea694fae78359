"""Parsing ResourceProperties into a spec: what CloudFormation users write, and what they see
when it is wrong."""

from typing import Any

import pytest

from provider.errors import InvalidProperties
from provider.spec import RegionSpec, ReplicationSetSpec, parse_spec

KEY = "arn:aws:kms:us-east-1:111122223333:key/de6a2f4e-5d40-4443-ad82-1db179510a32"
KEY2 = "arn:aws:kms:us-east-2:111122223333:key/6f1572c9-05ca-43cf-bf03-ee7bc93f59bd"


def reason(properties: Any) -> str:
    with pytest.raises(InvalidProperties) as caught:
        parse_spec(properties, "us-east-1")
    return caught.value.reason


def test_full_properties_parse_into_the_spec() -> None:
    spec = parse_spec(
        {
            "ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:p",
            "Regions": [
                {"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": KEY}},
                {"RegionName": "us-east-2", "RegionConfiguration": {"SseKmsKeyId": KEY2}},
            ],
            "DeletionProtected": "true",
            "Tags": [{"Key": "team", "Value": "sre"}, {"Key": "cost", "Value": 42}],
            "AdoptExisting": "False",
            "ServiceTimeout": "600",
        },
        "us-east-1",
    )
    assert spec == ReplicationSetSpec(
        regions=(RegionSpec("us-east-1", KEY), RegionSpec("us-east-2", KEY2)),
        deletion_protected=True,
        tags={"team": "sre", "cost": "42"},
        adopt_existing=False,
    )


def test_omitted_key_and_default_key_both_mean_the_aws_owned_key() -> None:
    spec = parse_spec(
        {
            "Regions": [
                {"RegionName": "us-east-1"},
                {"RegionName": "eu-west-1", "RegionConfiguration": {"SseKmsKeyId": "DefaultKey"}},
            ]
        },
        "us-east-1",
    )
    assert spec.regions == (RegionSpec("us-east-1"), RegionSpec("eu-west-1"))
    assert spec.deletion_protected is False
    assert spec.tags == {}
    assert spec.uses_customer_keys is False


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({}, "Regions: required: list 1 to 3 regions"),
        ({"Regions": []}, "Regions: at least 1 region is required, got 0"),
        (
            {
                "Regions": [
                    {"RegionName": r} for r in ("us-east-1", "us-east-2", "us-west-1", "us-west-2")
                ]
            },
            "Regions: at most 3 regions, got 4",
        ),
        ({"Regions": "us-east-1"}, "Regions: expected a list of regions, got a string"),
        (
            {"Regions": [{"RegionName": "us-east1"}]},
            "Regions[0].RegionName: expected an AWS Region name like us-east-1, got 'us-east1'",
        ),
        (
            {"Regions": ["us-east-1"]},
            "Regions[0]: expected an object with RegionName, got a string",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1"}, {"RegionName": "us-east-1"}]},
            "Regions[1].RegionName: us-east-1 is listed twice",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1", "RegionConfiguration": KEY}]},
            "Regions[0].RegionConfiguration: expected an object with SseKmsKeyId, got a string",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyID": KEY}}]},
            "Regions[0].RegionConfiguration.SseKmsKeyID: unknown property; expected SseKmsKeyId",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1", "Kms": "x"}]},
            "Regions[0].Kms: unknown property",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": ""}}]},
            "Regions[0].RegionConfiguration.SseKmsKeyId: expected a KMS key ARN",
        ),
        (
            {
                "Regions": [
                    {"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": KEY}},
                    {"RegionName": "us-east-2"},
                ]
            },
            "Regions: use the AWS owned key in every region or a customer managed key in every",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1"}], "Region": "x"},
            "Region: unknown property; expected one of",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1"}], "DeletionProtected": "yes"},
            "DeletionProtected: expected true or false, got 'yes'",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1"}], "AdoptExisting": 1},
            "AdoptExisting: expected true or false, got 1",
        ),
        (
            {
                "Regions": [{"RegionName": "us-east-1"}],
                "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(48)],
            },
            "Tags: at most 47 tags, got 48 (Incident Manager allows 50; the provider keeps 3 "
            "for who manages the set)",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1"}], "Tags": {"team": "sre"}},
            "Tags: expected a list of Key/Value pairs, got an object",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1"}], "Tags": [{"Key": "aws:x", "Value": "v"}]},
            "Tags[0].Key: expected 1 to 128 characters",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1"}], "Tags": [{"Key": "k", "Value": "a#b"}]},
            "Tags[0].Value: expected at most 256 characters",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1"}], "Tags": [{"Key": "k"}]},
            "Tags[0]: expected an object with exactly Key and Value",
        ),
        (
            {
                "Regions": [{"RegionName": "us-east-1"}],
                "Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
            },
            "Tags[1].Key: k is listed twice",
        ),
        (
            {"Regions": [{"RegionName": "us-east-1"}], "ServiceTimeout": "0"},
            "ServiceTimeout: expected whole seconds from 1 to 3600",
        ),
        (["Regions"], "ResourceProperties: expected an object, got a list"),
    ],
)
def test_invalid_properties_name_the_path_and_the_rule(properties: Any, expected: str) -> None:
    assert expected in reason(properties)


def test_every_problem_is_reported_at_once() -> None:
    assert reason({"Regions": [], "DeletionProtected": "maybe", "Extra": 1}) == (
        "Extra: unknown property; expected one of AdoptExisting, DeletionProtected, Regions, Tags; "
        "Regions: at least 1 region is required, got 0; "
        "DeletionProtected: expected true or false, got 'maybe'"
    )


def test_tags_allow_what_the_service_allows_comma_included() -> None:
    spec = parse_spec(
        {"Regions": [{"RegionName": "us-east-1"}], "Tags": [{"Key": "a,b", "Value": "x,y"}]},
        "us-east-1",
    )
    assert spec.tags == {"a,b": "x,y"}


@pytest.mark.parametrize(
    "key", ["not-a-key", "alias/", "alias/incidents\n", "arn:aws:kms:us-east-1:1:key/x"]
)
def test_what_is_no_key_is_refused_with_the_forms_a_key_takes(key: str) -> None:
    message = reason(
        {"Regions": [{"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": key}}]}
    )
    assert message == (
        "Regions[0].RegionConfiguration.SseKmsKeyId: expected a KMS key ARN "
        "(arn:aws:kms:REGION:ACCOUNT:key/ID), key ID, alias (alias/NAME or its ARN), or "
        f"DefaultKey, got {key!r}"
    )


@pytest.mark.parametrize(
    "alias", ["alias/incidents", "arn:aws:kms:us-east-1:111122223333:alias/incidents"]
)
def test_aliases_are_accepted_as_the_native_type_accepts_them(alias: str) -> None:
    spec = parse_spec(
        {"Regions": [{"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": alias}}]},
        "us-east-1",
    )
    assert spec.regions == (RegionSpec("us-east-1", alias),)


def test_the_providers_region_must_be_in_the_set() -> None:
    # The native type's contract test inputs_1_invalid.json: a set whose only Region is another.
    message = reason({"Regions": [{"RegionName": "us-west-2"}]})
    assert message.startswith("Regions: must include us-east-1, the Region of this stack")
    assert "answers for a replication set only in the Regions it is in" in message


def test_a_key_arn_of_another_region_is_refused() -> None:
    message = reason(
        {"Regions": [{"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": KEY2}}]}
    )
    assert message == (
        "Regions[0].RegionConfiguration.SseKmsKeyId: the key is in us-east-2; Incident Manager "
        "needs a key in us-east-1, the Region it encrypts (a KMS key lives in one Region), "
        f"got {KEY2}"
    )


def test_a_bare_key_id_and_a_multi_region_key_are_accepted() -> None:
    single, multi = "de6a2f4e-5d40-4443-ad82-1db179510a32", "mrk-1234567890abcdef1234567890abcdef"
    spec = parse_spec(
        {
            "Regions": [
                {"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": single}},
                {"RegionName": "us-east-2", "RegionConfiguration": {"SseKmsKeyId": multi}},
            ]
        },
        "us-east-1",
    )
    assert [r.kms_key for r in spec.regions] == [single, multi]


def test_a_key_refused_for_its_form_is_not_also_reported_as_a_mix_of_key_kinds() -> None:
    with pytest.raises(InvalidProperties) as refused:
        parse_spec(
            {
                "Regions": [
                    {"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": KEY}},
                    {"RegionName": "us-east-2", "RegionConfiguration": {"SseKmsKeyId": "notanarn"}},
                ]
            },
            "us-east-1",
        )
    assert "Regions[1].RegionConfiguration.SseKmsKeyId: expected a KMS key" in refused.value.reason
    assert "Incident Manager forbids a mix" not in refused.value.reason


# -- every limit the spec enforces, at its edge and one past it -------------------------------

REGION_NAMES = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1"]


def regions(count: int) -> dict[str, Any]:
    return {"Regions": [{"RegionName": name} for name in REGION_NAMES[:count]]}


@pytest.mark.parametrize("count", [1, 3])
def test_one_to_three_regions_are_accepted(count: int) -> None:
    assert len(parse_spec(regions(count), "us-east-1").regions) == count


@pytest.mark.parametrize(
    ("count", "problem"),
    [
        (0, "Regions: at least 1 region is required, got 0"),
        (4, "Regions: at most 3 regions, got 4"),
    ],
)
def test_zero_or_four_regions_are_refused(count: int, problem: str) -> None:
    assert problem in reason(regions(count))


def tags(count: int, key: str = "k", value: str = "v") -> dict[str, Any]:
    listed = [{"Key": f"{key}{i}" if count > 1 else key, "Value": value} for i in range(count)]
    return {**regions(1), "Tags": listed}


@pytest.mark.parametrize("count", [0, 47])
def test_zero_to_forty_seven_tags_are_accepted(count: int) -> None:
    """Incident Manager's 50, less the 3 the provider keeps for who manages the set."""
    assert len(parse_spec(tags(count), "us-east-1").tags) == count


def test_forty_eight_tags_are_refused() -> None:
    assert "Tags: at most 47 tags, got 48" in reason(tags(48))


def test_a_tag_key_with_the_providers_prefix_is_refused() -> None:
    properties = {
        **regions(1),
        "Tags": [{"Key": "IncidentReplicationSetProvider:manager", "Value": "me"}],
    }
    assert reason(properties) == (
        "Tags[0].Key: keys starting with IncidentReplicationSetProvider: are the provider's own "
        "(who manages the set), got 'IncidentReplicationSetProvider:manager'"
    )


@pytest.mark.parametrize(
    ("key", "value"), [("k" * 128, "v" * 256), ("k", "")], ids=["key-128-value-256", "value-0"]
)
def test_a_tag_key_of_128_and_a_value_of_0_or_256_characters_are_accepted(
    key: str, value: str
) -> None:
    assert parse_spec(tags(1, key, value), "us-east-1").tags == {key: value}


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [("k" * 129, "v", "Tags[0].Key"), ("", "v", "Tags[0].Key"), ("k", "v" * 257, "Tags[0].Value")],
    ids=["key-129", "key-0", "value-257"],
)
def test_a_tag_key_of_0_or_129_or_a_value_of_257_characters_is_refused(
    key: str, value: str, field: str
) -> None:
    assert reason(tags(1, key, value)).startswith(f"{field}: expected ")


ALIAS_ARN = "arn:aws:kms:us-east-1:111122223333:alias/"


@pytest.mark.parametrize(
    "key", ["alias/" + "a" * 250, ALIAS_ARN + "a" * 250], ids=["alias", "alias-arn"]
)
def test_an_alias_of_250_characters_is_accepted(key: str) -> None:
    properties = {
        "Regions": [{"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": key}}]
    }
    assert parse_spec(properties, "us-east-1").regions == (RegionSpec("us-east-1", key),)


@pytest.mark.parametrize(
    "key", ["alias/" + "a" * 251, ALIAS_ARN + "a" * 251], ids=["alias", "alias-arn"]
)
def test_an_alias_of_251_characters_is_refused(key: str) -> None:
    properties = {
        "Regions": [{"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": key}}]
    }
    assert "Regions[0].RegionConfiguration.SseKmsKeyId: expected a KMS key ARN" in reason(
        properties
    )
