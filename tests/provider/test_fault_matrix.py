"""Each of Incident Manager's errors at the first, a middle and the last call of Create,
Update and Delete: transient ones ride through, however long they last (within the deadline:
test_patience.py), permanent ones end in one clear FAILED."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from emulator import control
from emulator.operations import MUTATING_OPERATIONS, declared_errors
from tests.provider.conftest import Stack, marked

#: Faults and deliveries, not Region ages: one reading of the assumed 24-hour rule is enough
#: (the tests of Region changes run under both).
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

TRANSIENT = ["ThrottlingException", "InternalServerException"]
#: Longer than the 5 attempts botocore makes per call in these tests (conftest.deployment).
BURST = 12
PERMANENT = [
    "InternalServerException",  # for a change, which may have been applied: not waited out
    "AccessDeniedException",
    "ServiceQuotaExceededException",
    "ConflictException",
    "ValidationException",
]
ONE = {"Regions": [{"RegionName": "us-east-1"}]}
BEFORE = {"Regions": [{"RegionName": "us-east-1"}], "Tags": [{"Key": "env", "Value": "dev"}]}
AFTER = {
    "Regions": [{"RegionName": "us-east-1"}, {"RegionName": "us-west-2"}],
    "Tags": [{"Key": "env", "Value": "prod"}],
    "DeletionProtected": "true",
}


@dataclass(frozen=True)
class Call:
    """Which call to fail: the operation, and how many of its calls go through first."""

    operation: str
    after: int = 0


@dataclass(frozen=True)
class Scenario:
    name: str
    prepare: Callable[[Stack], str | None]  # returns the physical id, if any
    act: Callable[[Stack, str | None], dict[str, Any]]
    calls: dict[str, Call]  # position -> call


def existing(stack: Stack) -> str:
    arn = str(stack.create(BEFORE)["PhysicalResourceId"])
    control.reset_call_counts()
    return arn


SCENARIOS = [
    Scenario(
        "create",
        lambda stack: None,
        lambda stack, _: stack.create({**ONE, "DeletionProtected": "true"}),
        {
            "first": Call("CreateReplicationSet"),
            "middle": Call("GetReplicationSet"),
            "last": Call("UpdateDeletionProtection"),
        },
    ),
    Scenario(
        "update",
        existing,
        lambda stack, arn: stack.update(str(arn), AFTER, old=BEFORE),
        {
            "first": Call("GetReplicationSet"),
            "middle": Call("UpdateReplicationSet"),
            "last": Call("UpdateDeletionProtection"),
        },
    ),
    Scenario(
        "delete",
        existing,
        lambda stack, arn: stack.delete(str(arn), BEFORE),
        {
            "first": Call("GetReplicationSet"),
            "middle": Call("DeleteReplicationSet"),
            # after the first read and the read under the claim: the wait for the set to go
            "last": Call("GetReplicationSet", after=2),
        },
    ),
]
CASES = [(s, position) for s in SCENARIOS for position in ("first", "middle", "last")]


def ids(case: tuple[Scenario, str]) -> str:
    return f"{case[0].name}-{case[1]}"


def expect_final_state(scenario: Scenario, arn: str | None, response: dict[str, Any]) -> None:
    """What the emulator must hold once a request succeeded."""
    if scenario.name == "delete":
        assert control.replication_set_arns() == []
        return
    assert control.replication_set_arns() == [response["PhysicalResourceId"]]
    found = control.replication_set() or {}
    assert found["status"] == "ACTIVE"
    assert found["deletionProtected"] is True
    if scenario.name == "update":
        assert response["PhysicalResourceId"] == arn
        assert sorted(found["regionMap"]) == ["us-east-1", "us-west-2"]
        assert found["tags"] == marked({"env": "prod"})


def run_with_fault(
    stack: Stack, case: tuple[Scenario, str], code: str, count: int
) -> tuple[str | None, dict[str, Any]]:
    """Prepare the scenario, fail its call ``count`` times with ``code``, act; (arn, response)."""
    scenario, position = case
    arn = scenario.prepare(stack)
    call = scenario.calls[position]
    control.inject_fault(call.operation, code, count=count, message="injected", after=call.after)
    return arn, scenario.act(stack, arn)  # Stack.send asserts exactly one response


@pytest.mark.parametrize("code", TRANSIENT)
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_transient_errors_end_in_success(
    stack: Stack, case: tuple[Scenario, str], code: str
) -> None:
    arn, response = run_with_fault(stack, case, code, count=2)
    assert response["Status"] == "SUCCESS", response["Reason"]
    expect_final_state(case[0], arn, response)


def waited_out(operation: str, code: str) -> bool:
    """Whether the provider waits ``code`` out, past botocore's attempts (provider.waiting):
    throttling always, 5xx only for a read."""
    return code == "ThrottlingException" or operation not in MUTATING_OPERATIONS


#: Each case with each transient error the provider waits out for its call.
BURST_CASES = [
    (case, code)
    for case in CASES
    for code in TRANSIENT
    if waited_out(case[0].calls[case[1]].operation, code)
]


@pytest.mark.parametrize(
    ("case", "code"), BURST_CASES, ids=[f"{ids(c)}-{code}" for c, code in BURST_CASES]
)
def test_bursts_longer_than_botocores_attempts_are_waited_out(
    stack: Stack, case: tuple[Scenario, str], code: str
) -> None:
    arn, response = run_with_fault(stack, case, code, count=BURST)
    assert response["Status"] == "SUCCESS", response["Reason"]
    expect_final_state(case[0], arn, response)
    operation = case[0].calls[case[1]].operation
    assert control.call_counts()[operation] >= BURST + 1  # each failed attempt, then the one


#: Each case with each permanent error its call can answer (the service model's declared errors).
PERMANENT_CASES = [
    (case, code)
    for case in CASES
    for code in PERMANENT
    if code in declared_errors(case[0].calls[case[1]].operation)
    and not waited_out(case[0].calls[case[1]].operation, code)
]


@pytest.mark.parametrize(
    ("case", "code"), PERMANENT_CASES, ids=[f"{ids(c)}-{code}" for c, code in PERMANENT_CASES]
)
def test_permanent_errors_end_in_one_failed_that_names_the_cause(
    stack: Stack, case: tuple[Scenario, str], code: str
) -> None:
    scenario, position = case
    arn, response = run_with_fault(stack, case, code, count=100)
    operation = scenario.calls[position].operation
    assert response["Status"] == "FAILED"
    if (scenario.name, position, code) == ("create", "first", "ServiceQuotaExceededException"):
        # The service's word for "a set exists"; the provider looks for it and finds none.
        assert "ListReplicationSets shows none" in response["Reason"]
    else:
        assert f"{operation} failed with {code}" in response["Reason"]
        assert "injected" in response["Reason"]
    made = control.replication_set_arns()
    if (scenario.name, position) == ("create", "first"):
        # Nothing was made: an id that is no ARN, so the rollback's Delete calls nothing.
        assert made == []
        assert not response["PhysicalResourceId"].startswith("arn:")
    elif scenario.name == "create":
        # The set exists: its ARN is the answer, so the rollback's Delete removes it.
        assert made == [response["PhysicalResourceId"]]
    else:
        assert response["PhysicalResourceId"] == arn
        # A Delete that could not confirm the deletion fails; retrying it then succeeds.
        assert made == ([] if (scenario.name, position) == ("delete", "last") else [arn])
