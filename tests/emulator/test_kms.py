"""Encryption keys: AWS owned (DefaultKey) or an enabled customer managed key of the same
region, the same kind in every region, and never changed in place."""

from collections.abc import Callable

import boto3
import pytest
from mypy_boto3_ssm_incidents import SSMIncidentsClient

from tests.aws_errors import raises_aws

MakeKey = Callable[..., str]


def region_keys(client: SSMIncidentsClient, arn: str) -> dict[str, str]:
    region_map = client.get_replication_set(arn=arn)["replicationSet"]["regionMap"]
    return {name: info["sseKmsKeyId"] for name, info in region_map.items()}


def test_omitted_or_literal_default_key_is_reported_as_default_key(
    incidents: SSMIncidentsClient,
) -> None:
    arn = incidents.create_replication_set(
        regions={"us-east-1": {}, "us-east-2": {"sseKmsKeyId": "DefaultKey"}}
    )["arn"]
    assert region_keys(incidents, arn) == {"us-east-1": "DefaultKey", "us-east-2": "DefaultKey"}


@pytest.mark.parametrize("form", ["arn", "key-id", "alias"])
def test_customer_managed_key_is_accepted_by_arn_id_or_alias(
    incidents: SSMIncidentsClient, kms_key: MakeKey, form: str
) -> None:
    key_arn = kms_key("us-east-1")
    kms = boto3.client("kms", region_name="us-east-1")
    kms.create_alias(AliasName="alias/incidents", TargetKeyId=key_arn)
    given = {"arn": key_arn, "key-id": key_arn.split("/")[-1], "alias": "alias/incidents"}[form]
    arn = incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": given}})["arn"]
    assert region_keys(incidents, arn) == {"us-east-1": given}


def test_key_that_does_not_exist_is_rejected(incidents: SSMIncidentsClient) -> None:
    missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    with raises_aws("ValidationException", 400, "regions.us-east-1", "does not exist"):
        incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": missing}})
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_disabled_key_is_rejected(incidents: SSMIncidentsClient, kms_key: MakeKey) -> None:
    key_arn = kms_key("us-east-1")
    boto3.client("kms", region_name="us-east-1").disable_key(KeyId=key_arn.split("/")[-1])
    with raises_aws("ValidationException", 400, "Disabled"):
        incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": key_arn}})


def test_key_of_another_region_is_rejected(incidents: SSMIncidentsClient, kms_key: MakeKey) -> None:
    west_key = kms_key("us-west-2")
    with raises_aws("ValidationException", 400, "regions.us-east-1", "us-east-1"):
        incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": west_key}})


def test_mix_of_default_and_customer_keys_is_rejected_on_create(
    incidents: SSMIncidentsClient, kms_key: MakeKey
) -> None:
    with raises_aws("ValidationException", 400, "never a mix"):
        incidents.create_replication_set(
            regions={"us-east-1": {"sseKmsKeyId": kms_key("us-east-1")}, "us-east-2": {}}
        )
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_mix_is_rejected_when_adding_a_region(
    incidents: SSMIncidentsClient, kms_key: MakeKey
) -> None:
    arn = incidents.create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": kms_key("us-east-1")}}
    )["arn"]
    with raises_aws("ValidationException", 400, "never a mix"):
        incidents.update_replication_set(
            arn=arn, actions=[{"addRegionAction": {"regionName": "us-east-2"}}]
        )
    assert list(region_keys(incidents, arn)) == ["us-east-1"]


def test_adding_a_region_with_its_own_customer_key(
    incidents: SSMIncidentsClient, kms_key: MakeKey
) -> None:
    east, west = kms_key("us-east-1"), kms_key("us-west-2")
    arn = incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": east}})["arn"]
    incidents.update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "us-west-2", "sseKmsKeyId": west}}]
    )
    assert region_keys(incidents, arn) == {"us-east-1": east, "us-west-2": west}


def test_region_key_cannot_be_changed_in_place(
    incidents: SSMIncidentsClient, kms_key: MakeKey
) -> None:
    first, second = kms_key("us-east-1"), kms_key("us-east-1")
    arn = incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": first}})["arn"]
    with raises_aws("ValidationException", 400, "already in replication set"):
        incidents.update_replication_set(
            arn=arn,
            actions=[{"addRegionAction": {"regionName": "us-east-1", "sseKmsKeyId": second}}],
        )
    assert region_keys(incidents, arn) == {"us-east-1": first}


@pytest.mark.parametrize(
    ("create_key", "problem"),
    [
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, "RSA_2048 ENCRYPT_DECRYPT"),
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, "HMAC_256"),
        ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}, "ECC_NIST_P256 SIGN_VERIFY"),
        ({"Origin": "EXTERNAL"}, "origin EXTERNAL"),
    ],
    ids=["asymmetric", "hmac", "signing", "imported-material"],
)
def test_key_that_is_not_a_symmetric_kms_key_is_rejected(
    incidents: SSMIncidentsClient, create_key: dict[str, str], problem: str
) -> None:
    # Incident Manager user guide, data protection: symmetric encryption keys with KMS material.
    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.create_key(**create_key)["KeyMetadata"]["Arn"]  # type: ignore[arg-type]
    with raises_aws("ValidationException", 400, "regions.us-east-1", "in us-east-1", problem):
        incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": key}})
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_key_id_of_another_region_is_not_found_in_the_replicas_region(
    incidents: SSMIncidentsClient, kms_key: MakeKey
) -> None:
    west_key_id = kms_key("us-west-2").split("/")[-1]
    with raises_aws("ValidationException", 400, "regions.us-east-1", "does not exist"):
        incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": west_key_id}})


def test_pending_deletion_key_is_rejected_when_adding_a_region(
    incidents: SSMIncidentsClient, kms_key: MakeKey
) -> None:
    east, west = kms_key("us-east-1"), kms_key("us-west-2")
    arn = incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": east}})["arn"]
    boto3.client("kms", region_name="us-west-2").schedule_key_deletion(KeyId=west.split("/")[-1])
    add = [{"addRegionAction": {"regionName": "us-west-2", "sseKmsKeyId": west}}]
    with raises_aws("ValidationException", 400, "us-west-2", "PendingDeletion"):
        incidents.update_replication_set(arn=arn, actions=add)  # type: ignore[arg-type]
    assert region_keys(incidents, arn) == {"us-east-1": east}
