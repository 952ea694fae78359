"""Redelivery and races: Lambda's retries, late continuations, two stacks at once."""

from typing import Any

import pytest

from emulator import control
from provider.request import CONTINUATION
from tests.provider.conftest import Stack
from tests.provider.test_create import ONE_REGION, all_sets

#: No Region is removed here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


def test_a_continuation_of_a_step_that_answered_changes_nothing_and_answers_nothing(
    stack: Stack,
) -> None:
    event = stack.event("Create", ONE_REGION)
    first = stack.send(event)
    control.reset_call_counts()
    stack.invoke({**event, CONTINUATION: {"Step": 1}})  # no step handed off to step 1
    assert stack.endpoint.for_request(event["RequestId"]) == [first]
    assert control.call_counts() == {}
    assert all_sets() == [first["PhysicalResourceId"]]


def test_redelivered_delete_after_success_repeats_the_answer_and_calls_nothing(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    event = stack.event("Delete", ONE_REGION, physical_id=arn)
    first = stack.send(event)
    stack.endpoint.deliveries.clear()
    control.reset_call_counts()
    assert stack.send(event) == first
    assert first["Status"] == "SUCCESS"
    assert control.call_counts() == {}


def test_two_stacks_creating_at_once_one_wins_the_other_names_the_winner(stack: Stack) -> None:
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    winner = stack.event("Create", ONE_REGION, logical_id="Winner")
    other = {"Regions": [{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}]}
    loser = stack.event("Create", other, logical_id="Loser")

    # The winner's first invocation creates the set, then hands off while it is CREATING...
    stack.invoke(winner)
    assert len(stack.continuations) == 1 and stack.endpoint.for_request(winner["RequestId"]) == []
    continuation: dict[str, Any] = stack.continuations.pop()  # Lambda has not run it yet
    arn = all_sets()[0]
    # ...when the other stack's Create arrives.
    lost = stack.send(loser)
    assert lost["Status"] == "FAILED"
    assert f"A replication set already exists in this account: {arn}" in lost["Reason"]
    assert not lost["PhysicalResourceId"].startswith("arn:")  # its rollback deletes nothing
    # The winner's continuation finishes the job.
    won = stack.send(continuation)
    assert (won["Status"], won["PhysicalResourceId"]) == ("SUCCESS", arn)
    assert all_sets() == [arn]


def test_a_continuation_with_a_garbled_step_changes_nothing_and_answers_nothing(
    stack: Stack,
) -> None:
    refused: dict[str, Any] = {"Regions": []}  # refused properties: no answer either
    for garbled in ("not-a-state", {"Step": "1"}, {"Step": 0}, {"Step": 10**6}, {}):
        for properties in (ONE_REGION, refused):
            event = {**stack.event("Create", properties), CONTINUATION: garbled}
            stack.invoke(event)
            assert stack.endpoint.for_request(event["RequestId"]) == []
    assert control.call_counts() == {}
    assert all_sets() == []
