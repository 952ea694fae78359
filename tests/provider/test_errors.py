"""Incident Manager's errors, injected, and the Reason each one gives the stack."""

from typing import Any

import pytest

from emulator import control
from provider import lifecycle
from provider.crhelper_seam import CrhelperSeam
from tests.provider.conftest import Stack
from tests.provider.test_create import ONE_REGION, all_sets

#: No Region is removed here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


def test_access_denied_names_the_action_to_grant(stack: Stack) -> None:
    control.inject_fault("CreateReplicationSet", "AccessDeniedException", message="not authorized")
    response = stack.create(ONE_REGION)
    assert response["Status"] == "FAILED"
    assert response["Reason"] == (
        "CreateReplicationSet failed with AccessDeniedException: not authorized "
        "(grant ssm-incidents:CreateReplicationSet to the provider's execution role)"
    )
    assert all_sets() == []


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerException"])
def test_transient_errors_are_retried_then_succeed(stack: Stack, code: str) -> None:
    control.inject_fault("CreateReplicationSet", code, count=2)
    control.inject_fault("GetReplicationSet", code, count=2)
    response = stack.create(ONE_REGION)
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert all_sets() == [response["PhysicalResourceId"]]
    assert control.call_counts()["CreateReplicationSet"] == 3


def test_a_change_that_keeps_failing_with_5xx_fails_after_botocores_attempts(stack: Stack) -> None:
    """A 5xx may come after the service acted: the provider does not make the change again
    past botocore's attempts (throttling it waits out: test_patience.py)."""
    control.inject_fault(
        "CreateReplicationSet", "InternalServerException", count=50, message="Internal error"
    )
    response = stack.create(ONE_REGION)
    assert response["Status"] == "FAILED"
    assert response["Reason"] == (
        "CreateReplicationSet failed with InternalServerException after 5 attempts: Internal "
        "error (Incident Manager kept failing; retry the stack update)"
    )
    # botocore's 5 attempts, and 5 more asking with the same token whether it made the set
    assert control.call_counts()["CreateReplicationSet"] == 10
    assert all_sets() == []


def test_conflict_says_what_is_in_the_way(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.inject_fault("UpdateReplicationSet", "ConflictException", message="set is UPDATING")
    response = stack.update(
        arn, {"Regions": [{"RegionName": "us-east-1"}, {"RegionName": "us-east-2"}]}
    )
    assert response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == arn
    assert (
        "UpdateReplicationSet failed with ConflictException: set is UPDATING" in response["Reason"]
    )
    assert "another change to the replication set is in progress" in response["Reason"]


def test_service_validation_error_is_reported_as_is(stack: Stack) -> None:
    control.inject_fault(
        "CreateReplicationSet", "ValidationException", message="Invalid KMS key at 'regions'"
    )
    response = stack.create({"Regions": [{"RegionName": "us-east-1"}]})
    assert response["Status"] == "FAILED"
    assert response["Reason"] == (
        "CreateReplicationSet failed with ValidationException: Invalid KMS key at 'regions'"
    )


def test_failure_after_creation_answers_with_the_arn_for_the_rollback(stack: Stack) -> None:
    control.inject_fault("UpdateDeletionProtection", "AccessDeniedException", message="denied")
    response = stack.create({**ONE_REGION, "DeletionProtected": "true"})
    arn = all_sets()[0]
    assert response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == arn
    assert "ssm-incidents:UpdateDeletionProtection" in response["Reason"]
    assert stack.delete(arn)["Status"] == "SUCCESS"
    assert all_sets() == []


def test_response_stays_under_cloudformations_4kb_limit(stack: Stack) -> None:
    tags = [{"Key": f"aws:{'k' * 100}{i}", "Value": "#" * 200} for i in range(47)]
    response = stack.create({**ONE_REGION, "Tags": tags})
    raw = stack.endpoint.deliveries[-1].raw
    assert len(raw) <= 4096
    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("Tags[0].Key: expected 1 to 128 characters")
    assert response["Reason"].endswith("[truncated]")


def test_when_crhelper_itself_fails_before_answering_one_failed_says_so(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: CrhelperSeam, *args: Any) -> None:
        raise RuntimeError("crhelper broke")

    monkeypatch.setattr(CrhelperSeam, "run", broken)
    response = stack.create(ONE_REGION)  # exactly one answer (Stack.send checks)
    assert (response["Status"], response["Reason"]) == (
        "FAILED",
        "Internal error (RuntimeError); see the provider's logs",
    )
    assert all_sets() == []


def test_when_crhelper_fails_after_answering_no_second_answer_is_sent(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = CrhelperSeam.run

    def answers_then_breaks(self: CrhelperSeam, *args: Any) -> None:
        original(self, *args)
        raise RuntimeError("crhelper broke afterwards")

    monkeypatch.setattr(CrhelperSeam, "run", answers_then_breaks)
    response = stack.create(ONE_REGION)  # exactly one answer (Stack.send checks)
    assert response["Status"] == "SUCCESS"
    assert all_sets() == [response["PhysicalResourceId"]]


def test_an_unexpected_error_is_answered_as_an_internal_error_with_its_type(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise KeyError("regionMap")

    monkeypatch.setattr(lifecycle, "create", broken)
    answer = stack.create(ONE_REGION)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == ("Internal error (KeyError): 'regionMap'; see the provider's logs")
    assert all_sets() == []
