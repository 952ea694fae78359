"""What the ssm-incidents tests share: error checks, KMS keys and status transitions."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from moto import settings
from moto.moto_api import state_manager

#: The state manager's name for the status changes of a replication set.
TRANSITION_MODEL = "ssm-incidents::replication-set"
#: The operations of the service that moto implements.
OPERATIONS = (
    "CreateReplicationSet",
    "DeleteReplicationSet",
    "GetReplicationSet",
    "ListReplicationSets",
    "ListTagsForResource",
    "TagResource",
    "UntagResource",
    "UpdateDeletionProtection",
    "UpdateReplicationSet",
)


@contextmanager
def raises_aws(
    code: str, status: int, *fragments: str
) -> Iterator[pytest.ExceptionInfo[ClientError]]:
    """Expect a ClientError with this code and status whose message holds every
    fragment."""
    with pytest.raises(ClientError) as caught:
        yield caught
    error = caught.value.response["Error"]
    assert error["Code"] == code, f"expected {code}, boto3 raised {error}"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    for fragment in fragments:
        assert fragment in error["Message"], f"{fragment!r} not in {error['Message']!r}"


def unchecked_client(region: str = "us-east-1") -> Any:
    """A client without botocore's own checks, so a request that breaks the model
    reaches the service."""
    config = Config(parameter_validation=False)
    return boto3.client("ssm-incidents", region_name=region, config=config)


def create_key(region: str = "us-east-1", **kwargs: Any) -> str:
    """An enabled customer managed KMS key in ``region``; its ARN."""
    kms = boto3.client("kms", region_name=region)
    return str(kms.create_key(**kwargs)["KeyMetadata"]["Arn"])


def _kms_of(key_arn: str) -> Any:
    """The KMS client of the key's Region (DisableKey and ScheduleKeyDeletion get the
    key ID: moto 5.2.5 finds no key by its ARN there)."""
    return boto3.client("kms", region_name=key_arn.split(":")[3])


def disable_key(key_arn: str) -> None:
    _kms_of(key_arn).disable_key(KeyId=key_arn.rpartition("/")[2])


def schedule_key_deletion(key_arn: str) -> None:
    _kms_of(key_arn).schedule_key_deletion(
        KeyId=key_arn.rpartition("/")[2], PendingWindowInDays=7
    )


def statuses(client: Any, arn: str) -> tuple[str, dict[str, str]]:
    """The set's status and each Region's, read with GetReplicationSet (which counts
    as one read in "manual" progression)."""
    found = client.get_replication_set(arn=arn)["replicationSet"]
    regions = {name: info["status"] for name, info in found["regionMap"].items()}
    return found["status"], regions


def _state_manager(action: str, body: dict[str, Any]) -> None:
    url = f"{settings.test_server_mode_endpoint()}/moto-api/state-manager/{action}"
    requests.post(url, json=body, timeout=30).raise_for_status()


def set_transition(transition: dict[str, Any]) -> None:
    if settings.TEST_SERVER_MODE:
        body = {"model_name": TRANSITION_MODEL, "transition": transition}
        _state_manager("set-transition", body)
    else:
        state_manager.set_transition(model_name=TRANSITION_MODEL, transition=transition)


def unset_transition() -> None:
    if settings.TEST_SERVER_MODE:
        _state_manager("unset-transition", {"model_name": TRANSITION_MODEL})
    else:
        state_manager.unset_transition(model_name=TRANSITION_MODEL)


@contextmanager
def changes_end_after_reads(reads: int) -> Iterator[None]:
    """Each status change (CREATING, UPDATING, DELETING) ends at the ``reads``-th
    GetReplicationSet after it started: moto's "manual" progression."""
    set_transition({"progression": "manual", "times": reads})
    try:
        yield
    finally:
        unset_transition()
