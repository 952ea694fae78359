"""Redelivery and races: Lambda's retries, late continuations, two stacks at once."""

from typing import Any

from emulator import control
from provider.request import CONTINUATION
from tests.provider.conftest import Stack, success
from tests.provider.test_create import ONE_REGION, all_sets


def test_a_continuation_arriving_after_completion_answers_the_same(stack: Stack) -> None:
    event = stack.event("Create", ONE_REGION)
    first = stack.send(event)
    stack.endpoint.deliveries.clear()
    late = {**event, CONTINUATION: {"Deadline": stack.clock.time() + 600, "Attempt": 1}}
    assert stack.send(late) == first
    assert all_sets() == [first["PhysicalResourceId"]]


def test_redelivered_delete_after_success_answers_success_again(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    event = stack.event("Delete", ONE_REGION, physical_id=arn)
    first = stack.send(event)
    stack.endpoint.deliveries.clear()
    assert stack.send(event) == first
    assert first["Status"] == "SUCCESS"


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


def test_a_continuation_with_a_garbled_state_starts_a_fresh_deadline(stack: Stack) -> None:
    event = {**stack.event("Create", ONE_REGION), CONTINUATION: "not-a-state"}
    response = stack.send(event)
    [arn] = all_sets()
    assert response == success(event, arn)
    assert control.call_counts()["CreateReplicationSet"] == 1
