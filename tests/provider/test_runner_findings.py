"""Known gaps of the step runner, found by an adversarial review after issue 25: each states
the contract and is a strict xfail (README, "Known gaps"), so it fails the day it is fixed."""

from types import SimpleNamespace
from typing import Any, cast

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import resource_helper

from emulator import control
from local_cloudformation.protocol import FakeContext
from provider.app import make_handler
from tests.provider.conftest import Stack, failing
from tests.provider.test_create import ONE_REGION, all_sets
from tests.provider.test_forged_events import handed_off

pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


def handed_off_create(stack: Stack) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A Create whose step 0 made the set and handed off (set not ACTIVE yet)."""
    event, cont = handed_off(stack)
    [arn] = all_sets()
    assert stack.endpoint.for_request(event["RequestId"]) == []
    return event, cont, arn


@pytest.mark.xfail(strict=True, reason="README, Known gaps")
def test_timer_before_a_continuation_starts_orphans_the_created_set(stack: Stack) -> None:
    """crhelper's timer fires while step 1 is still reading step 0's record (a slow GetItem):
    the FAILED answer must name the set step 0 created, so the rollback Delete removes it."""
    event, cont, arn = handed_off_create(stack)
    client = stack.runtime.records().client

    def slow_read(**_: Any) -> None:  # GetItem outlasts the invocation (Lambda kills it)
        stack.clock.advance((stack.clock.ends_at or stack.clock.now) - stack.clock.now)

    client.meta.events.register("before-call.dynamodb.GetItem", slow_read)
    try:
        stack.invoke(cont)
    finally:
        client.meta.events.unregister("before-call.dynamodb.GetItem", slow_read)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert answer["Status"] == "FAILED"
    # observed: a made-up "incidents_ReplicationSet_XXXX" ID -> rollback deletes nothing
    assert answer["PhysicalResourceId"] == arn, answer


@pytest.mark.xfail(strict=True, reason="README, Known gaps")
def test_a_late_timer_of_the_previous_invocation_answers_the_next_request(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam is one object per container and crhelper's Timer calls its bound ``_timeout``
    -> ``_send`` -> ``self._answer``, read when the timer RUNS, not when it was armed. A timer
    of invocation N that had already fired when N's handler returned (Lambda freezes the
    thread; ``cancel()`` cannot stop it) resumes in invocation N+1 and answers N+1's request."""

    armed: list[Any] = []

    def recording_timer(interval: float, function: Any) -> Any:
        timer = stack.clock.timer(interval, function)
        armed.append(timer)
        return timer

    monkeypatch.setattr(resource_helper, "threading", SimpleNamespace(Timer=recording_timer))
    first = stack.event("Delete", {}, physical_id="incidents_ReplicationSet_ABCDEFGH")
    assert stack.send(first)["Status"] == "SUCCESS"  # invocation N, answered by its step
    late_timer_of_n = armed[0].function  # N's timer thread, frozen mid-fire

    create = stack.event("Create", ONE_REGION)  # invocation N+1, another request
    client = stack.runtime.records().client
    resumed: list[int] = []

    def thaw(**_: Any) -> None:
        if not resumed:
            resumed.append(1)
            late_timer_of_n()  # the thawed thread carries on into _send

    client.meta.events.register("before-call.dynamodb.PutItem", thaw)
    try:
        stack.invoke(create)
    finally:
        client.meta.events.unregister("before-call.dynamodb.PutItem", thaw)
    answers = stack.endpoint.for_request(create["RequestId"])
    [arn] = all_sets()  # N+1's step went on and made the set
    assert [(a["Status"], a["PhysicalResourceId"]) for a in answers] == [("SUCCESS", arn)], (
        answers  # observed: FAILED 'Execution timed out' with a made-up ID: the set orphaned
    )


@pytest.mark.xfail(strict=True, reason="README, Known gaps")
def test_a_duplicate_that_cannot_reach_the_table_answers_while_the_step_runs(
    stack: Stack,
) -> None:
    """Lambda delivers a Create twice at once; the duplicate's PutItem is throttled. It must not
    answer FAILED (made-up ID) while the first delivery is still creating the set."""

    event = stack.event("Create", ONE_REGION)
    records = stack.runtime.records().client
    incidents = stack.runtime.incidents()._client_for("us-east-1")
    ran: list[int] = []

    def duplicate_now(**_: Any) -> None:  # while the first delivery calls CreateReplicationSet
        if ran:
            return
        ran.append(1)
        other = make_handler(stack.runtime)  # another execution environment
        ends_at, stack.clock.ends_at = stack.clock.ends_at, None
        try:
            with failing(records, "PutItem", "ProvisionedThroughputExceededException"):
                other(dict(event), cast(LambdaContext, FakeContext(stack.clock, 900)))
        finally:
            stack.clock.ends_at = ends_at

    incidents.meta.events.register("before-call.ssm-incidents.CreateReplicationSet", duplicate_now)
    try:
        stack.invoke(event)
    finally:
        incidents.meta.events.unregister(
            "before-call.ssm-incidents.CreateReplicationSet", duplicate_now
        )
    answers = stack.endpoint.for_request(event["RequestId"])
    [arn] = all_sets()
    # observed: [FAILED (records table, made-up ID), SUCCESS (arn)]: CloudFormation takes the
    # first, rolls back with the made-up ID, and the set is orphaned
    assert [(a["Status"], a["PhysicalResourceId"]) for a in answers] == [("SUCCESS", arn)], answers


@pytest.mark.xfail(strict=True, reason="README, Known gaps")
def test_a_self_invoke_that_hangs_past_the_invocation_leaves_the_request_unanswered(
    stack: Stack,
) -> None:
    """The README: should crhelper's timer answer (a call that hangs past its timeouts), a
    Create answers the ARN it made. The hand-off's Invoke is such a call; the timer's answer
    is dropped by the latch the hand-off already holds, and nothing is ever sent."""
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    event = stack.event("Create", ONE_REGION)

    def hangs(_event: dict[str, Any], _context: Any) -> None:  # Invoke never returns in time
        stack.clock.advance((stack.clock.ends_at or stack.clock.now) - stack.clock.now)

    stack.runtime.continue_later = hangs
    stack.invoke(event)
    [arn] = all_sets()
    answers = stack.endpoint.for_request(event["RequestId"])
    # observed: [] -- CloudFormation waits an hour; the set it made is never named
    assert [(a["Status"], a["PhysicalResourceId"]) for a in answers] == [("FAILED", arn)]
