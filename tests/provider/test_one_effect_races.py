"""Exactly one effect, under the races and losses an adversarial review found (issue 16)."""

import threading
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from crhelper import resource_helper

from emulator import control
from local_cloudformation.protocol import STACK_ID
from provider.ownership import LINE, MANAGER
from provider.settings import settings
from tests.provider.conftest import Stack, success
from tests.provider.test_create import ONE_REGION, all_sets
from tests.provider.test_forged_events import handed_off

#: Region removals play no part here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

ADOPT = {**ONE_REGION, "AdoptExisting": "true"}
OTHER_STACK = STACK_ID.replace("stack/incidents/", "stack/other/")


def forget_owner_record(arn: str) -> None:
    """As for a set made by hand or before this version: no manager mark on it."""
    boto3.client("ssm-incidents", region_name="us-east-1").untag_resource(
        resourceArn=arn, tagKeys=[MANAGER, LINE]
    )


def test_the_rollback_of_renaming_an_unrecorded_set_keeps_it(stack: Stack) -> None:
    arn = stack.create(ONE_REGION, logical_id="Incidents")["PhysicalResourceId"]
    forget_owner_record(arn)  # a set made by the previous provider version
    # Stack update renames Incidents -> ReplicationSet (AdoptExisting), another resource fails:
    adopted = stack.create(ADOPT, logical_id="ReplicationSet")
    assert (adopted["Status"], adopted["PhysicalResourceId"]) == ("SUCCESS", arn)
    # UPDATE_ROLLBACK: CloudFormation deletes the resource it just created.
    back = stack.send(stack.event("Delete", ADOPT, physical_id=arn, logical_id="ReplicationSet"))
    assert back["Status"] == "SUCCESS"
    # README: "renaming the resource ... never deletes it". The stack still has Incidents -> arn.
    assert all_sets() == [arn], "the rollback of the rename deleted the stack's set"


def test_a_create_whose_answer_was_lost_finds_its_set_by_its_token(stack: Stack) -> None:
    client = stack.runtime.incidents()._client_for("us-east-1")
    lost: list[int] = []

    def lost_response(**_: Any) -> None:
        if not lost:  # the service made the set; its answer never came back
            lost.append(1)
            raise ReadTimeoutError(endpoint_url="https://ssm-incidents.us-east-1.amazonaws.com/")

    client.meta.events.register("after-call.ssm-incidents.CreateReplicationSet", lost_response)
    event = stack.event("Create", ONE_REGION)
    answer = stack.send(event)
    client.meta.events.unregister("after-call.ssm-incidents.CreateReplicationSet", lost_response)
    [made] = all_sets()
    assert lost and answer == success(event, made)


def test_crhelpers_timer_during_the_create_call_answers_with_the_set_it_made(
    stack: Stack,
) -> None:
    stack.timeout_seconds = 40
    stack.hang_once["CreateReplicationSet"] = 39.7  # past crhelper's timer, then completes
    failed = stack.send(stack.event("Create", ONE_REGION))
    [made] = all_sets()
    assert (failed["Status"], failed["Reason"]) == ("FAILED", "Execution timed out")
    assert failed["PhysicalResourceId"] == made  # so the rollback's Delete removes it
    rollback = stack.send(stack.event("Delete", ONE_REGION, physical_id=made))
    assert rollback["Status"] == "SUCCESS" and all_sets() == []


def dynamodb_fails(stack: Stack, operation: str, times: int) -> list[str]:
    """The next ``times`` calls of ``operation`` to the records table fail to connect."""
    hits: list[str] = []

    def blip(**_: Any) -> None:
        if len(hits) < times:
            hits.append(operation)
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    stack.runtime.records().client.meta.events.register(f"before-call.dynamodb.{operation}", blip)
    return hits


def run_with_continuations(stack: Stack, event: dict[str, Any]) -> list[dict[str, Any]]:
    pending = [event]
    while pending:
        stack.invoke(pending.pop(0))
        pending += stack.continuations
        stack.continuations.clear()
    return stack.endpoint.for_request(event["RequestId"])


def test_a_hand_off_whose_record_fails_once_is_saved_again_and_carries_on(stack: Stack) -> None:
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    hits = dynamodb_fails(stack, "UpdateItem", 1)  # step 0's result, handing off
    event = stack.event("Create", ONE_REGION)
    [answer] = run_with_continuations(stack, event)
    [made] = all_sets()
    assert hits == ["UpdateItem"] and answer == success(event, made)


def test_a_hand_off_that_cannot_be_recorded_fails_with_the_set_it_made(stack: Stack) -> None:
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    dynamodb_fails(stack, "UpdateItem", 3)
    event = stack.event("Create", ONE_REGION)
    [answer] = run_with_continuations(stack, event)
    [made] = all_sets()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", made)
    assert answer["Reason"].startswith("The provider could not record its progress")


def test_the_rollback_of_an_update_refused_for_another_manager_succeeds(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    stack.create(ADOPT, stack_id=OTHER_STACK)
    wanted = {**ONE_REGION, "Tags": [{"Key": "team", "Value": "first"}]}
    refused = stack.update(arn, wanted, ONE_REGION)
    assert refused["Status"] == "FAILED"
    # CloudFormation rolls the first stack back: the previous properties, which the live set has.
    rollback = stack.update(arn, ONE_REGION, wanted)
    assert rollback["Status"] == "SUCCESS", "UPDATE_ROLLBACK_FAILED: " + rollback["Reason"]


def step_items() -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    found = client.scan(TableName=settings().idempotency_table)["Items"]
    return [i for i in found if i["id"]["S"].startswith("request#")]


def test_a_step_left_in_progress_never_runs_again_for_a_late_duplicate(stack: Stack) -> None:
    dynamodb_fails(stack, "UpdateItem", 2)  # the step's result is never recorded
    event = stack.event("Create", ONE_REGION)
    created = stack.send(event)
    assert created["Status"] == "SUCCESS"
    [step] = step_items()
    assert step["status"] == {"S": "INPROGRESS"}
    assert "in_progress_expiration" not in step  # it does not expire with the invocation
    assert stack.delete(created["PhysicalResourceId"])["Status"] == "SUCCESS"
    control.reset_call_counts()
    stack.invoke(event)  # Lambda's at-least-once delivery: a duplicate of the Create, late
    assert all_sets() == [] and control.call_counts() == {}


def test_a_continuation_that_cannot_use_its_records_fails_with_the_set_it_made(
    stack: Stack,
) -> None:
    event, continuation = handed_off(stack)  # step 0 creates the set and hands off
    [made] = all_sets()
    records = stack.runtime.records()

    def dynamodb_down(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    records.client.meta.events.register("before-call.dynamodb.PutItem", dynamodb_down)
    stack.invoke(continuation)
    records.client.meta.events.unregister("before-call.dynamodb.PutItem", dynamodb_down)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert answer["Status"] == "FAILED"
    assert answer["PhysicalResourceId"] == made, (
        f"FAILED with {answer['PhysicalResourceId']!r}: the rollback's Delete will not remove "
        f"{made}, which this request created"
    )


def test_crhelpers_timer_thread_racing_the_step_still_answers_once(
    stack: Stack, monkeypatch: Any
) -> None:
    timers: list[Any] = []

    class RealThreadTimer:
        """crhelper's timer as Lambda runs it: its own thread (fired by the test, below)."""

        def __init__(self, interval: float, function: Any) -> None:
            self.function = function
            timers.append(self)

        def start(self) -> None:
            pass

        def cancel(self) -> None:
            pass

    monkeypatch.setattr(resource_helper, "threading", SimpleNamespace(Timer=RealThreadTimer))
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    boto3.client("ssm-incidents", region_name="us-east-1").delete_replication_set(arn=arn)
    control.advance_clock(60)

    timer_in_invoke, main_done = threading.Event(), threading.Event()
    queued: list[dict[str, Any]] = []
    main = threading.current_thread()

    def continue_later(event: dict[str, Any], context: Any) -> None:
        if threading.current_thread() is not main:  # the timer thread's hand-off
            timer_in_invoke.set()
            main_done.wait(10)
        queued.append(event)

    stack.runtime.continue_later = continue_later
    fired: list[threading.Thread] = []

    def hung_call_returns_just_after_the_timer(**_: Any) -> None:
        # The call hangs; crhelper's timer fires 0.5 s before the end (its own thread); the
        # call then returns within that half second and the main thread carries on.
        thread = threading.Thread(target=timers[-1].function)
        fired.append(thread)
        thread.start()
        assert timer_in_invoke.wait(10)

    client = stack.runtime.incidents()._client_for("us-east-1")
    client.meta.events.register(
        "before-call.ssm-incidents.UpdateDeletionProtection", hung_call_returns_just_after_the_timer
    )
    event = stack.event(
        "Update",
        {**ONE_REGION, "DeletionProtected": "true"},
        physical_id=arn,
        old_properties=ONE_REGION,
    )
    stack.invoke(event)
    main_done.set()
    fired[0].join(10)
    client.meta.events.unregister(
        "before-call.ssm-incidents.UpdateDeletionProtection", hung_call_returns_just_after_the_timer
    )
    for continuation in queued:
        stack.invoke(continuation)
    answers = stack.endpoint.for_request(event["RequestId"])
    assert answers, f"no answer to the Update at all; sets now: {all_sets()}"


def test_an_adoption_during_the_managers_delete_is_refused(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    other = Stack(stack.endpoint, stack.clock, stack.runtime)  # another stack's request, at once
    adopted: list[dict[str, Any]] = []

    def other_stack_adopts_now(**_: Any) -> None:
        if not adopted:
            adopted.append(other.create(ADOPT, stack_id=OTHER_STACK))

    client = stack.runtime.incidents()._client_for("us-east-1")
    client.meta.events.register(
        "before-call.ssm-incidents.DeleteReplicationSet", other_stack_adopts_now
    )
    gone = stack.delete(arn)
    client.meta.events.unregister(
        "before-call.ssm-incidents.DeleteReplicationSet", other_stack_adopts_now
    )
    # The manager's claim was on the set all along its Delete: the adoption never went on.
    assert (adopted[0]["Status"], adopted[0]["Reason"]) == (
        "FAILED",
        f"Another request is changing who manages replication set {arn} (its tags "
        "IncidentReplicationSetProvider:claim:*); nothing was changed. Retry the stack "
        "operation in a minute.",
    )
    assert not adopted[0]["PhysicalResourceId"].startswith("arn:")  # no set for its rollback
    assert gone["Status"] == "SUCCESS" and all_sets() == []


def test_moving_an_unrecorded_set_to_another_stack_and_deleting_that_stack_keeps_it(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    forget_owner_record(arn)  # made by the previous provider version
    assert stack.create(ADOPT, stack_id=OTHER_STACK)["PhysicalResourceId"] == arn
    # The other stack's creation rolls back (or the stack is deleted): its Delete.
    gone = stack.send(stack.event("Delete", ADOPT, physical_id=arn, stack_id=OTHER_STACK))
    assert gone["Status"] == "SUCCESS"
    assert all_sets() == [arn], "the first stack's set was deleted by the adopter's Delete"


def test_an_update_whose_discard_outlasts_the_invocation_finishes_it_in_the_next(
    stack: Stack,
) -> None:
    """Found by the lifecycle machine: the set an Update re-created, then failed on, is still
    deleting when Lambda time runs low; the failure is carried on, the set deleted, then one
    FAILED answer with the old ID."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    boto3.client("ssm-incidents", region_name="us-east-1").delete_replication_set(arn=arn)
    control.advance_clock(3600)
    control.inject_fault("UpdateDeletionProtection", "AccessDeniedException", count=100)
    control.set_transition_seconds(30)
    stack.timeout_seconds = 90
    wanted = {**ONE_REGION, "DeletionProtected": "true"}
    answer = stack.update(arn, wanted, ONE_REGION)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"].endswith("this update created was deleted: no stack would own it.")
    assert all_sets() == []
