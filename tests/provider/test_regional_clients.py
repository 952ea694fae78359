"""Clients per Region, bounded by the Regions that exist, not by the names events carry
(issue 25): a made-up Region is refused by name, with no client built and nothing called."""

import contextlib
from functools import cache
from typing import Any

import boto3
import pytest

from emulator import control
from provider.errors import InvalidProperties
from provider.runtime import RegionalClients, incidents_from_environment, kms_from_environment
from tests.provider.conftest import HOME, Stack

MADE_UP = [f"zz-forged-{n}" for n in range(150)]


def listed(service: str) -> list[str]:
    """The Regions botocore's endpoint data lists for ``service`` in the commercial partition."""
    return boto3.session.Session().get_available_regions(service)


@pytest.mark.parametrize("service", ["ssm-incidents", "kms"])
def test_made_up_regions_build_no_client_and_the_cache_stays_bounded(
    aws: None, monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    monkeypatch.setenv("AWS_REGION", HOME)
    clients = RegionalClients(boto3.session.Session(), service, HOME)
    for name in MADE_UP:
        with pytest.raises(InvalidProperties) as refused:
            clients(name)
        assert refused.value.reason.startswith(
            f"Regions: {name} is not a Region where Incident Manager answers"
        )
    assert clients.regions == ()
    for name in [*listed(service), *MADE_UP, *listed(service)]:
        with contextlib.suppress(InvalidProperties):
            clients(name)
    assert sorted(clients.regions) == sorted({HOME, *listed(service)})  # what exists, once


def test_the_runtimes_clients_answer_in_a_real_region_and_refuse_a_made_up_one(
    aws: None, monkeypatch: pytest.MonkeyPatch, kms_key: Any
) -> None:
    monkeypatch.setenv("AWS_REGION", HOME)
    incidents = incidents_from_environment()
    assert incidents.existing_arn() is None  # through moto, in the function's Region
    assert (
        incidents.status("arn:aws:ssm-incidents::123456789012:replication-set/x", "eu-west-1")
        is None
    )
    key = kms_key("us-west-2")
    kms = kms_from_environment()
    assert kms.describe("us-west-2", key).arn == key  # type: ignore[union-attr]
    with pytest.raises(InvalidProperties, match="Regions: us-nowhere-1 is not a Region"):
        kms.describe("us-nowhere-1", key.replace("us-west-2", "us-nowhere-1"))


def test_the_regions_botocore_lists_are_those_of_the_functions_partition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A function in cn-north-1 builds no client for a commercial Region, nor for one of
    another partition than its own."""
    session = boto3.session.Session()
    china = RegionalClients(session, "kms", "cn-north-1")
    assert china.partition == "aws-cn"
    with pytest.raises(InvalidProperties, match=r"us-east-1 is not .* in the aws-cn partition"):
        china("us-east-1")
    assert RegionalClients(session, "kms", "").partition == "aws"
    assert RegionalClients(session, "kms", "xx-nowhere-1").partition == "aws"


@pytest.mark.parametrize("removal_rule", ["removals-any-time"])  # no Region is removed here
def test_forged_creates_naming_made_up_regions_fail_by_name_and_build_no_client(
    stack: Stack, kms_key: Any
) -> None:
    """What the forger sees: FAILED naming the Region; what the function keeps: one client."""
    stack.runtime.kms = cache(kms_from_environment)
    home_key = kms_key(HOME)
    answers = []
    for name in MADE_UP[:30]:
        made_up_key = home_key.replace(f":{HOME}:", f":{name}:")
        regions = [
            {"RegionName": HOME, "RegionConfiguration": {"SseKmsKeyId": home_key}},
            {"RegionName": name, "RegionConfiguration": {"SseKmsKeyId": made_up_key}},
        ]
        answers.append(stack.create({"Regions": regions}))
    for name, answer in zip(MADE_UP, answers, strict=False):
        assert answer["Status"] == "FAILED"
        assert f"Regions: {name} is not a Region where Incident Manager answers" in answer["Reason"]
    clients = stack.runtime.kms()._client_for
    assert isinstance(clients, RegionalClients) and clients.regions == (HOME,)
    assert "CreateReplicationSet" not in control.call_counts()
