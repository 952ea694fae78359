"""No set is made and then left without a stack: every path by which one could be orphaned."""

from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError

from emulator import control
from local_cloudformation.protocol import SERVICE_TOKEN
from provider import app
from provider.errors import ServiceFailure
from provider.request import function_account, parse_request
from tests.provider.conftest import HOME, Stack, delete_outside
from tests.provider.test_create import ONE_REGION, all_sets

#: No Region is removed here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


def slow(stack: Stack) -> None:
    """Creation outlasts an invocation: the provider hands off after creating the set."""
    control.set_transition_seconds(200)
    stack.timeout_seconds = 90


def test_a_refused_self_invoke_after_the_create_answers_with_the_sets_arn(stack: Stack) -> None:
    slow(stack)
    stack.refuse_self_invoke = True
    response = stack.create(ONE_REGION)
    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("Could not continue in a new invocation")
    [arn] = all_sets()
    assert response["PhysicalResourceId"] == arn  # so CloudFormation's rollback deletes it
    stack.refuse_self_invoke = False
    control.advance_clock(200)
    assert stack.delete(arn)["Status"] == "SUCCESS"  # the rollback's Delete
    assert all_sets() == []


def test_a_continuation_never_issues_create_again(stack: Stack) -> None:
    slow(stack)
    # After the first CreateReplicationSet, the service would refuse it for good.
    control.inject_fault("CreateReplicationSet", "AccessDeniedException", count=100, after=1)
    response = stack.create(ONE_REGION)
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert [response["PhysicalResourceId"]] == all_sets()
    assert stack.invocations >= 2
    assert control.call_counts()["CreateReplicationSet"] == 1


def test_a_continuation_that_fails_answers_with_the_arn_it_carried(stack: Stack) -> None:
    slow(stack)
    event = stack.event("Create", ONE_REGION)
    stack.invoke(event)  # creates the set, then hands off while it is CREATING
    [carried] = stack.continuations
    stack.continuations.clear()
    control.inject_fault("GetReplicationSet", "AccessDeniedException", count=100)
    stack.invoke(carried)
    [response] = stack.endpoint.for_request(event["RequestId"])
    assert response["Status"] == "FAILED"
    assert "GetReplicationSet failed with AccessDeniedException" in response["Reason"]
    assert [response["PhysicalResourceId"]] == all_sets()


def recreate_after_outside_delete(stack: Stack, **fault: Any) -> tuple[str, dict[str, Any]]:
    props = {**ONE_REGION, "DeletionProtected": "true"}
    old = stack.create(ONE_REGION)["PhysicalResourceId"]
    boto3.client("ssm-incidents", region_name=HOME).delete_replication_set(arn=old)
    control.inject_fault("UpdateDeletionProtection", "AccessDeniedException", count=100)
    for operation, code in fault.items():
        control.inject_fault(operation, code, count=100)
    return old, stack.update(old, props, old=ONE_REGION)


def test_an_update_that_recreated_the_set_and_then_failed_deletes_it(stack: Stack) -> None:
    old, response = recreate_after_outside_delete(stack)
    assert response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == old  # CloudFormation keeps the old ID anyway
    assert response["Reason"].startswith("UpdateDeletionProtection failed with Access")
    assert "this update created was deleted: no stack would own it" in response["Reason"]
    assert all_sets() == []
    # CloudFormation's rollback (the old properties, the old ID) then makes one set again.
    rollback = stack.update(old, ONE_REGION, old={**ONE_REGION, "DeletionProtected": "true"})
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert all_sets() == [rollback["PhysicalResourceId"]]


def test_when_the_recreated_set_cannot_be_deleted_the_reason_says_how(stack: Stack) -> None:
    old, response = recreate_after_outside_delete(
        stack, DeleteReplicationSet="AccessDeniedException"
    )
    assert response["Status"] == "FAILED"
    [arn] = all_sets()
    assert arn != old
    assert f"This update created replication set {arn}, which no stack owns" in response["Reason"]
    assert (
        f"aws ssm-incidents delete-replication-set --arn {arn} --region {HOME}"
        in (response["Reason"])
    )


def test_a_protected_set_the_failed_update_recreated_is_unprotected_then_deleted(
    stack: Stack,
) -> None:
    old = stack.create(ONE_REGION)["PhysicalResourceId"]
    boto3.client("ssm-incidents", region_name=HOME).delete_replication_set(arn=old)
    client = stack.runtime.incidents()._client_for(HOME)
    lost: list[int] = []

    def lost_answer(**_: Any) -> None:
        if not lost:  # the service turned protection on; its answer never came back
            lost.append(1)
            raise ReadTimeoutError(endpoint_url=f"https://ssm-incidents.{HOME}.amazonaws.com/")

    client.meta.events.register("after-call.ssm-incidents.UpdateDeletionProtection", lost_answer)
    response = stack.update(old, {**ONE_REGION, "DeletionProtected": "true"}, old=ONE_REGION)
    assert lost and response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == old
    assert "this update created was deleted: no stack would own it" in response["Reason"]
    assert all_sets() == []
    assert control.mutating_calls()["UpdateDeletionProtection"] == 2  # on, then off to delete


def test_when_the_timers_failure_cannot_be_handed_on_it_answers_with_the_way_out(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    delete_outside(arn)
    stack.timeout_seconds = 40
    stack.call_seconds["UpdateDeletionProtection"] = 45  # after the re-create, a hung call
    stack.refuse_self_invoke = True  # so the set it made cannot be deleted in a next one
    answer = stack.update(arn, {**ONE_REGION, "DeletionProtected": "true"}, ONE_REGION)
    [made] = all_sets()
    assert answer["Status"] == "FAILED" and answer["PhysicalResourceId"] == arn
    assert answer["Reason"].startswith(
        f"Execution timed out This update created replication set {made}, which no stack owns, "
        "and could not delete it (Lambda time ran out). Delete it: aws ssm-incidents "
    )


def test_the_set_of_a_hung_create_is_not_named_when_its_keys_cannot_be_read_again(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "alias/incidents"  # resolved through DescribeKey each time
    event = stack.event(
        "Create",
        {"Regions": [{"RegionName": HOME, "RegionConfiguration": {"SseKmsKeyId": key}}]},
    )

    def unreadable(*_: Any) -> None:
        raise ServiceFailure("DescribeKey failed with AccessDeniedException")

    monkeypatch.setattr(type(stack.runtime.kms()), "describe", unreadable)
    request = parse_request(event, function_account(SERVICE_TOKEN))
    assert app.created_by(request, stack.runtime) is None
