"""The service's rules the provider must hold: its own Region in the set, calls through a Region
of the set, customer managed keys checked (and aliases resolved) before any change."""

from typing import Any

import boto3
import pytest

from emulator import control
from provider import waiting
from provider.incidents import IncidentsApi
from provider.settings import settings
from tests.provider.conftest import HOME, UNREACHABLE, MakeKey, Stack, failing, success
from tests.provider.test_create import all_sets, replication_set
from tests.provider.test_one_effect import OTHER_STACK
from tests.provider.test_update import created, keys_of, regions

NO_CALLS: dict[str, int] = {}


def test_a_stack_whose_regions_leave_out_its_own_fails_with_no_call(stack: Stack) -> None:
    # Translated from the native type's contract test inputs_1_invalid.json (the only Region is
    # another Region than the stack's).
    response = stack.create({"Regions": [{"RegionName": "us-west-2"}]})
    assert response["Status"] == "FAILED"
    assert response["Reason"] == (
        f"Regions: must include {HOME}, the Region of this stack and its provider: Incident "
        "Manager answers for a replication set only in the Regions it is in. Add it to Regions "
        "(to keep the set out of this Region, deploy the provider and the stack in one of the "
        "set's Regions)"
    )
    assert control.call_counts() == NO_CALLS
    assert all_sets() == []


def test_an_update_never_moves_the_set_out_of_the_stacks_region(stack: Stack) -> None:
    arn = created(stack, {"Regions": regions(HOME, "us-west-2")})
    response = stack.update(arn, {"Regions": regions("us-west-2")})
    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith(f"Regions: must include {HOME}")
    assert control.call_counts() == NO_CALLS
    assert sorted(keys_of(arn)) == [HOME, "us-west-2"]


def test_the_key_of_the_stacks_region_changes_through_a_region_that_stays(
    stack: Stack, kms_key: MakeKey
) -> None:
    old, new, west = kms_key(HOME), kms_key(HOME), kms_key("us-west-2")
    arn = created(
        stack, {"Regions": regions(HOME, "us-west-2", key={HOME: old, "us-west-2": west})}
    )
    stack.a_day_later()
    response = stack.update(
        arn, {"Regions": regions(HOME, "us-west-2", key={HOME: new, "us-west-2": west})}
    )
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert keys_of(arn) == {HOME: new, "us-west-2": west}
    assert control.mutating_calls() == {"UpdateReplicationSet": 2}


def test_the_key_of_the_stacks_only_region_is_refused_before_any_call(
    stack: Stack, kms_key: MakeKey
) -> None:
    old, new = kms_key(HOME), kms_key(HOME)
    arn = created(stack, {"Regions": regions(HOME, key={HOME: old})})
    response = stack.update(arn, {"Regions": regions(HOME, key={HOME: new})})
    assert response["Status"] == "FAILED"
    assert "changing the key of us-east-1, the set's only region" in response["Reason"]
    assert control.mutating_calls() == NO_CALLS
    assert keys_of(arn) == {HOME: old}


def remove_home_outside_the_stack(arn: str) -> None:
    west = boto3.client("ssm-incidents", region_name="us-west-2")
    west.update_replication_set(arn=arn, actions=[{"deleteRegionAction": {"regionName": HOME}}])


def test_an_update_reaches_a_set_that_left_the_stacks_region_and_adds_it_back(
    stack: Stack,
) -> None:
    props = {"Regions": regions(HOME, "us-west-2")}
    arn = created(stack, props)
    stack.a_day_later()
    remove_home_outside_the_stack(arn)
    control.reset_call_counts()
    response = stack.update(arn, props, old=props)
    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", arn)
    assert all_sets() == [arn]  # no second set was tried
    assert sorted(keys_of(arn)) == [HOME, "us-west-2"]
    assert control.mutating_calls() == {"UpdateReplicationSet": 1}


def test_an_update_that_drops_the_only_region_reaching_the_set_finds_it_through_the_old_one(
    stack: Stack,
) -> None:
    old = {"Regions": regions(HOME, "us-west-2")}
    arn = created(stack, old)
    stack.a_day_later()
    remove_home_outside_the_stack(arn)  # only us-west-2, which the new template drops, sees it
    new = {"Regions": regions(HOME, "eu-west-1")}
    response = stack.update(arn, new, old=old)
    assert response == success(response, arn)
    assert sorted(keys_of(arn)) == ["eu-west-1", HOME]
    assert all_sets() == [arn]


def test_a_delete_reaches_a_set_that_left_the_stacks_region(stack: Stack) -> None:
    props = {"Regions": regions(HOME, "us-west-2")}
    arn = created(stack, props)
    stack.a_day_later()
    remove_home_outside_the_stack(arn)
    assert stack.delete(arn, props)["Status"] == "SUCCESS"
    assert all_sets() == []


def moved_to_europe(stack: Stack, props: dict[str, Any]) -> str:
    """A stack's set whose Regions were all replaced by eu-west-1 outside the stack."""
    arn = created(stack, props)
    west = boto3.client("ssm-incidents", region_name="us-west-2")
    west.update_replication_set(arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}])
    stack.a_day_later()
    through_europe = boto3.client("ssm-incidents", region_name="eu-west-1")
    for gone in (HOME, "us-west-2"):  # outside the stack, through the set's remaining Region
        through_europe.update_replication_set(
            arn=arn, actions=[{"deleteRegionAction": {"regionName": gone}}]
        )
    stack.a_day_later()
    return arn


def test_a_set_in_no_region_the_event_names_is_found_through_the_services_other_regions(
    stack: Stack,
) -> None:
    props = {"Regions": regions(HOME, "us-west-2")}
    arn = moved_to_europe(stack, props)
    event = stack.event("Update", props, physical_id=arn, old_properties=props)
    assert stack.send(event) == success(event, arn)
    assert sorted(keys_of(arn)) == [HOME, "us-west-2"]  # back as the template says
    assert stack.delete(arn, props)["Status"] == "SUCCESS" and all_sets() == []


def test_a_set_no_region_of_the_service_sees_is_not_gone(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    props = {"Regions": regions(HOME, "us-west-2")}
    arn = moved_to_europe(stack, props)
    monkeypatch.setattr(IncidentsApi, "service_regions", lambda self: ())  # a Region botocore
    control.reset_call_counts()  # does not list yet
    for response in (stack.delete(arn, props), stack.update(arn, props, old=props)):
        assert response["Status"] == "FAILED"
        assert response["Reason"] == (
            f"Replication set {arn} exists but answers in none of {HOME}, us-west-2: it was "
            "changed outside the stack, and Incident Manager answers for a set only in its own "
            f"Regions. Add {HOME}, the provider's Region, back to it through one of its "
            f"Regions: aws ssm-incidents update-replication-set --arn {arn} --actions "
            f'\'[{{"addRegionAction":{{"regionName":"{HOME}"}}}}]\' --region ONE_OF_ITS_REGIONS '
            '(with "sseKmsKeyId" if it uses customer managed keys), then retry.'
        )
    assert all_sets() == [arn]
    assert control.mutating_calls() == NO_CALLS


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        ("disabled", "is Disabled; Incident Manager needs an enabled key"),
        ("pending-deletion", "is PendingDeletion; Incident Manager needs an enabled key"),
        (
            "asymmetric",
            "is a RSA_2048 key for ENCRYPT_DECRYPT; Incident Manager needs a symmetric "
            "encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)",
        ),
        (
            "imported",
            "has key material of origin EXTERNAL; Incident Manager needs key material made by "
            "KMS (no imported material, no custom key store)",
        ),
        ("missing", "does not exist in us-west-2"),
    ],
)
def test_an_unusable_key_fails_naming_region_key_and_problem_with_no_incident_manager_call(
    stack: Stack, make: str, problem: str
) -> None:
    kms = boto3.client("kms", region_name="us-west-2")
    key: Any
    if make == "missing":
        key = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
    else:
        options = {"asymmetric": {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
                   "imported": {"Origin": "EXTERNAL"}}.get(make, {})  # fmt: skip
        key = kms.create_key(**options)["KeyMetadata"]["Arn"]  # type: ignore[arg-type]
        key_id = key.split("/")[-1]
        if make == "disabled":
            kms.disable_key(KeyId=key_id)
        if make == "pending-deletion":
            kms.schedule_key_deletion(KeyId=key_id)
    east = boto3.client("kms", region_name=HOME).create_key()["KeyMetadata"]["Arn"]
    response = stack.create(
        {"Regions": regions(HOME, "us-west-2", key={HOME: east, "us-west-2": key})}
    )
    assert response["Status"] == "FAILED"
    assert response["Reason"] == f"Regions: us-west-2: KMS key {key} {problem}"
    assert control.call_counts() == NO_CALLS
    assert all_sets() == []


def test_a_bad_key_for_an_added_region_fails_before_any_change(
    stack: Stack, kms_key: MakeKey
) -> None:
    east, west = kms_key(HOME), kms_key("us-west-2")
    boto3.client("kms", region_name="us-west-2").disable_key(KeyId=west.split("/")[-1])
    arn = created(stack, {"Regions": regions(HOME, key={HOME: east})})
    response = stack.update(
        arn,
        {"Regions": regions(HOME, "us-west-2", key={HOME: east, "us-west-2": west})},
    )
    assert response["Status"] == "FAILED"
    assert response["Reason"] == f"Regions: us-west-2: KMS key {west} is Disabled; Incident " \
        "Manager needs an enabled key"  # fmt: skip
    assert control.mutating_calls() == NO_CALLS


def test_an_alias_deploys_as_its_key_and_a_no_op_update_changes_nothing(stack: Stack) -> None:
    kms = boto3.client("kms", region_name=HOME)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/incidents", TargetKeyId=key)
    props = {"Regions": regions(HOME, key={HOME: "alias/incidents"})}
    arn = created(stack, props)
    assert keys_of(arn) == {HOME: key}  # the key the alias names is what was sent
    response = stack.update(arn, props, old=props)
    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", arn)
    assert control.mutating_calls() == NO_CALLS


def test_a_re_pointed_alias_is_a_key_change(stack: Stack, kms_key: MakeKey) -> None:
    kms = boto3.client("kms", region_name=HOME)
    first, second, west = kms_key(HOME), kms_key(HOME), kms_key("us-west-2")
    kms.create_alias(AliasName="alias/incidents", TargetKeyId=first)
    props = {
        "Regions": regions(HOME, "us-west-2", key={HOME: "alias/incidents", "us-west-2": west})
    }
    arn = created(stack, props)
    kms.update_alias(AliasName="alias/incidents", TargetKeyId=second)
    stack.a_day_later()
    response = stack.update(arn, props, old=props)
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert keys_of(arn) == {HOME: second, "us-west-2": west}


@pytest.mark.parametrize(
    ("code", "message", "reason"),
    [
        (
            "AccessDeniedException",
            "not authorized to perform kms:DescribeKey",
            "DescribeKey of {key} in us-east-1 failed with AccessDeniedException: not authorized "
            "to perform kms:DescribeKey (grant kms:DescribeKey to the provider's role)",
        ),
        (
            "InvalidArnException",
            "not an ARN",
            "DescribeKey of {key} in us-east-1 failed with InvalidArnException: not an ARN",
        ),
    ],
)
def test_a_key_kms_will_not_describe_fails_the_request_before_any_change(
    stack: Stack, kms_key: MakeKey, code: str, message: str, reason: str
) -> None:
    key = kms_key(HOME)
    kms = stack.runtime.kms()._client_for(HOME)
    with failing(kms, "DescribeKey", code, message=message) as answered:
        response = stack.create({"Regions": regions(HOME, key={HOME: key})})
    assert answered
    assert (response["Status"], response["Reason"]) == ("FAILED", reason.format(key=key))
    assert control.call_counts() == {} and all_sets() == []


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("KMSInternalException", "KMSInternalException: internal error"),
        (
            UNREACHABLE,
            'Could not connect to the endpoint URL: "https://kms.us-east-1.amazonaws.com"',
        ),
    ],
)
def test_a_kms_that_keeps_failing_is_waited_out_until_the_deadline_then_fails_before_any_change(
    stack: Stack, kms_key: MakeKey, monkeypatch: pytest.MonkeyPatch, code: str, what: str
) -> None:
    monkeypatch.setenv("PROVIDER_DEADLINE_SECONDS", "120")
    settings.cache_clear()
    monkeypatch.setattr(waiting, "jittered", lambda delay: delay)  # waits of 1, 2, 4... 20 s
    key = kms_key(HOME)
    kms = stack.runtime.kms()._client_for(HOME)
    with failing(kms, "DescribeKey", code, message="internal error", status=500) as answered:
        response = stack.create({"Regions": regions(HOME, key={HOME: key})})
    assert answered
    assert (response["Status"], response["Reason"]) == (
        "FAILED",
        f"KMS was unavailable for DescribeKey of {key} in us-east-1 ({what}) until the "
        "provider's deadline (PROVIDER_DEADLINE_SECONDS, or the resource's ServiceTimeout): "
        "each of its last 10 tries, over 111 s; retry the stack operation once KMS answers "
        "again (the AWS Health Dashboard shows service events)",
    )
    assert control.call_counts() == {} and all_sets() == []


@pytest.mark.parametrize("removal_rule", ["removals-any-time"])
def test_an_alias_that_names_no_key_fails_naming_it_before_any_change(stack: Stack) -> None:
    configuration = {"SseKmsKeyId": "alias/incidents-gone"}
    response = stack.create(
        {"Regions": [{"RegionName": HOME, "RegionConfiguration": configuration}]}
    )
    assert (response["Status"], response["Reason"]) == (
        "FAILED",
        "Regions[0].RegionConfiguration.SseKmsKeyId: alias alias/incidents-gone names no key in "
        "us-east-1",
    )
    assert control.call_counts() == {} and all_sets() == []


@pytest.mark.parametrize("removal_rule", ["removals-any-time"])
def test_an_adoption_that_adds_a_region_describes_its_key_once(
    stack: Stack, kms_key: MakeKey
) -> None:
    """The key is checked before CreateReplicationSet, which finds the account's set; adopting
    it adds the Region with that key, checked already."""
    east, west = kms_key(HOME), kms_key("us-west-2")
    existing = stack.create({"Regions": regions(HOME, key={HOME: east})})["PhysicalResourceId"]
    described: list[str] = []
    for region in (HOME, "us-west-2"):
        client = stack.runtime.kms()._client_for(region)
        client.meta.events.register(
            "before-call.kms.DescribeKey", lambda params, **_: described.append(params["body"])
        )
    wanted = {"Regions": regions(HOME, "us-west-2", key={HOME: east, "us-west-2": west})}
    event = stack.event("Create", {**wanted, "AdoptExisting": "true"}, stack_id=OTHER_STACK)
    assert stack.send(event) == success(event, existing)
    assert sorted(replication_set(existing)["regionMap"]) == [HOME, "us-west-2"]
    assert len(described) == 2, described  # each key once
