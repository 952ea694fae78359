"""Encryption keys: AWS owned (DefaultKey) or an enabled customer managed key of the same
Region, the same kind in every Region, and never changed in place."""

from typing import Any

import boto3
import pytest

from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from .helpers import create_key, disable_key, raises_aws, schedule_key_deletion


def region_keys(client: Any, arn: str) -> dict[str, str]:
    region_map = client.get_replication_set(arn=arn)["replicationSet"]["regionMap"]
    return {name: info["sseKmsKeyId"] for name, info in region_map.items()}


@mock_aws
def test_omitted_or_literal_default_key_is_reported_as_default_key() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {}, "us-east-2": {"sseKmsKeyId": "DefaultKey"}}
    )["arn"]
    assert region_keys(client, arn) == {
        "us-east-1": "DefaultKey",
        "us-east-2": "DefaultKey",
    }


@pytest.mark.parametrize("form", ["arn", "key-id", "alias"])
@mock_aws
def test_customer_managed_key_is_accepted_by_arn_id_or_alias(form: str) -> None:
    key_arn = create_key("us-east-1")
    kms = boto3.client("kms", region_name="us-east-1")
    kms.create_alias(AliasName="alias/incidents", TargetKeyId=key_arn)
    given = {
        "arn": key_arn,
        "key-id": key_arn.split("/")[-1],
        "alias": "alias/incidents",
    }[form]
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": given}},
    )["arn"]
    assert region_keys(client, arn) == {"us-east-1": given}


@mock_aws
def test_key_that_does_not_exist_is_rejected() -> None:
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    missing = (
        f"arn:aws:kms:us-east-1:{DEFAULT_ACCOUNT_ID}:key/"
        "00000000-0000-0000-0000-000000000000"
    )
    with raises_aws("ValidationException", 400, "regions.us-east-1", "does not exist"):
        client.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": missing}})
    assert client.list_replication_sets()["replicationSetArns"] == []


@mock_aws
def test_disabled_key_is_rejected() -> None:
    key_arn = create_key("us-east-1")
    disable_key(key_arn)
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with raises_aws("ValidationException", 400, "Disabled"):
        client.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": key_arn}})


@mock_aws
def test_key_of_another_region_is_rejected() -> None:
    west_key = create_key("us-west-2")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with raises_aws("ValidationException", 400, "regions.us-east-1", "us-east-1"):
        client.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": west_key}})


@mock_aws
def test_key_id_of_another_region_is_not_found_in_the_replicas_region() -> None:
    west_key_id = create_key("us-west-2").split("/")[-1]
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with raises_aws("ValidationException", 400, "regions.us-east-1", "does not exist"):
        client.create_replication_set(
            regions={"us-east-1": {"sseKmsKeyId": west_key_id}}
        )


@mock_aws
def test_mix_of_default_and_customer_keys_is_rejected_on_create() -> None:
    key_arn = create_key("us-east-1")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with raises_aws("ValidationException", 400, "never a mix"):
        client.create_replication_set(
            regions={"us-east-1": {"sseKmsKeyId": key_arn}, "us-east-2": {}}
        )
    assert client.list_replication_sets()["replicationSetArns"] == []


@mock_aws
def test_mix_is_rejected_when_adding_a_region() -> None:
    key_arn = create_key("us-east-1")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": key_arn}}
    )["arn"]
    with raises_aws("ValidationException", 400, "never a mix"):
        client.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "us-east-2"}}]
        )
    assert list(region_keys(client, arn)) == ["us-east-1"]


@mock_aws
def test_adding_a_region_with_its_own_customer_key() -> None:
    east, west = create_key("us-east-1"), create_key("us-west-2")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": east}},
    )["arn"]
    client.update_replication_set(
        arn=arn,
        actions=[{"addRegionAction": {"regionName": "us-west-2", "sseKmsKeyId": west}}],
    )
    assert region_keys(client, arn) == {"us-east-1": east, "us-west-2": west}


@mock_aws
def test_region_key_cannot_be_changed_in_place() -> None:
    first, second = create_key("us-east-1"), create_key("us-east-1")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": first}},
    )["arn"]
    with raises_aws("ValidationException", 400, "already in replication set"):
        client.update_replication_set(
            arn=arn,
            actions=[
                {"addRegionAction": {"regionName": "us-east-1", "sseKmsKeyId": second}}
            ],
        )
    assert region_keys(client, arn) == {"us-east-1": first}


@pytest.mark.parametrize(
    ("create_key_args", "problem"),
    [
        (
            {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
            "RSA_2048 ENCRYPT_DECRYPT",
        ),
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, "HMAC_256"),
        (
            {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
            "ECC_NIST_P256 SIGN_VERIFY",
        ),
        ({"Origin": "EXTERNAL"}, "origin EXTERNAL"),
    ],
    ids=["asymmetric", "hmac", "signing", "imported-material"],
)
@mock_aws
def test_key_that_is_not_a_symmetric_kms_key_is_rejected(
    create_key_args: dict[str, str], problem: str
) -> None:
    # Incident Manager user guide, data protection: symmetric encryption keys with KMS
    # material.
    key_arn = create_key("us-east-1", **create_key_args)
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    with raises_aws(
        "ValidationException", 400, "regions.us-east-1", "in us-east-1", problem
    ):
        client.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": key_arn}})
    assert client.list_replication_sets()["replicationSetArns"] == []


@mock_aws
def test_pending_deletion_key_is_rejected_when_adding_a_region() -> None:
    east, west = create_key("us-east-1"), create_key("us-west-2")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    arn = client.create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": east}},
    )["arn"]
    schedule_key_deletion(west)
    with raises_aws("ValidationException", 400, "us-west-2", "PendingDeletion"):
        client.update_replication_set(
            arn=arn,
            actions=[
                {"addRegionAction": {"regionName": "us-west-2", "sseKmsKeyId": west}}
            ],
        )
    assert region_keys(client, arn) == {"us-east-1": east}
