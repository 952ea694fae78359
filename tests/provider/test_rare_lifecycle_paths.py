"""The rare paths of the handler and the lifecycle that coverage showed no test reached: a set
that vanishes mid-change, crhelper's timer on a plain update, a hand-off that cannot start, a
chain that never ends, an error nobody expected. Each is something a user could meet on AWS."""

import os
from typing import Any

import boto3
import pytest

from emulator import control
from local_cloudformation.protocol import SERVICE_TOKEN
from provider import app, lifecycle
from provider.errors import ServiceFailure
from provider.records import Records, RecordsUnavailable, Step
from provider.request import function_account, parse_request
from tests.provider.conftest import HOME, CapturedLogs, MakeKey, Stack, success
from tests.provider.test_create import ONE_REGION, all_sets, replication_set
from tests.provider.test_one_effect import OTHER_STACK
from tests.provider.test_update import regions

#: Rare paths, not Region removals: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])
TWO_REGIONS = {"Regions": regions(HOME, "us-west-2")}
ADOPT = {**ONE_REGION, "AdoptExisting": "true"}


def outside() -> Any:
    return boto3.client("ssm-incidents", region_name=HOME)


def delete_outside(arn: str) -> None:
    """Someone deletes the set by hand: a read first ends its change, as it would on AWS."""
    outside().get_replication_set(arn=arn)
    outside().delete_replication_set(arn=arn)


def updating_outside(arn: str) -> None:
    """Someone adds a Region by hand: the set is UPDATING for 20 s when the stack reads it."""
    control.set_transition_seconds(20)
    outside().update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "us-west-2"}}]
    )


# -- the handler ---------------------------------------------------------------------------


def test_building_the_handler_keeps_a_sam_local_flag_it_found(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SAM_LOCAL", "yes")  # sam local invoke sets it
    assert stack.create(ONE_REGION)["Status"] == "SUCCESS"  # crhelper was built
    assert os.environ["AWS_SAM_LOCAL"] == "yes"


def test_crhelpers_timer_during_a_plain_update_answers_failed_at_once(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    stack.timeout_seconds = 40
    stack.hang_once["UpdateReplicationSet"] = 45  # the call outlasts the invocation
    before = stack.invocations
    answer = stack.update(arn, TWO_REGIONS, ONE_REGION)
    assert (answer["Status"], answer["Reason"]) == ("FAILED", "Execution timed out")
    assert stack.invocations - before == 1 and stack.handoffs_left == []  # answered at once
    assert answer["PhysicalResourceId"] == arn
    assert stack.timed_out == 1 and stack.clock.fired == [0.5]
    assert sorted(replication_set(arn)["regionMap"]) == [HOME]  # the hung call never landed


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


def test_an_answer_the_records_cannot_keep_is_still_sent_and_logged(
    stack: Stack, logs: CapturedLogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60  # so the create hands off
    stack.refuse_self_invoke = True  # and cannot: the failure path answers
    records = stack.runtime.records()
    once = type(records).once

    def unavailable_for_the_next_step(self: Records, step: Step, work: Any) -> Any:
        if step.number == 1:  # where the answer in place of the next step is recorded
            raise RecordsUnavailable("DynamoDB PutItem failed with ProvisionedThroughput...")
        return once(self, step, work)

    monkeypatch.setattr(type(records), "once", unavailable_for_the_next_step)
    answer = stack.create(ONE_REGION)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        "Could not continue in a new invocation: AccessDeniedException: not authorized to "
        "lambda:InvokeFunction"
    )
    assert answer["PhysicalResourceId"] == all_sets()[0]  # so the rollback deletes it
    errors = [line["message"] for line in logs.json_lines() if line["level"] == "ERROR"]
    assert "could not record the answer" in errors


def test_a_request_that_never_finishes_gives_up_after_max_steps(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "MAX_STEPS", 2)
    control.set_transition_seconds(10**6)  # never ACTIVE within the deadline
    stack.timeout_seconds = 60
    answer = stack.create(ONE_REGION)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("The request took 2 invocations without finishing")
    assert answer["PhysicalResourceId"] == all_sets()[0]
    assert stack.invocations == 3


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


# -- the lifecycle: a set that vanishes while the stack changes it -------------------------


def test_an_update_the_plan_refuses_from_a_resource_that_no_longer_manages_the_set(
    stack: Stack, kms_key: MakeKey
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    stack.create(ADOPT, stack_id=OTHER_STACK)  # the other stack's resource manages it now
    key = {"RegionName": HOME, "RegionConfiguration": {"SseKmsKeyId": kms_key(HOME)}}
    refused = stack.update(arn, {"Regions": [key]}, ONE_REGION)  # a key kind switch, refused
    assert refused["Status"] == "FAILED"
    assert refused["Reason"].startswith(
        f"Replication set {arn} is managed by resource ReplicationSet of stack other "
    )


def test_an_adoption_whose_set_is_deleted_meanwhile_fails_clearly(stack: Stack) -> None:
    arn = stack.create(ONE_REGION, logical_id="Incidents")["PhysicalResourceId"]
    control.after_call("ListReplicationSets", lambda: delete_outside(arn))
    answer = stack.create(ADOPT, logical_id="ReplicationSet")
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"Replication set {arn} was deleted while it was being adopted; retry the stack "
        "operation to create a new one"
    )


def test_an_update_continues_with_the_set_it_recreated_in_its_next_invocation(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    delete_outside(arn)
    control.reset_call_counts()
    control.set_transition_seconds(120)
    control.advance_clock(120)  # the outside deletion is over
    stack.timeout_seconds = 60  # the new set takes longer than one invocation
    answer = stack.update(arn, ONE_REGION, ONE_REGION)
    [made] = all_sets()
    assert made != arn and answer == success(answer, made)
    assert stack.invocations >= 2
    assert control.call_counts()["CreateReplicationSet"] == 1


def test_a_set_deleted_while_a_region_is_being_added_fails_the_update(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.after_call("UpdateReplicationSet", lambda: delete_outside(arn))
    answer = stack.update(arn, TWO_REGIONS, ONE_REGION)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"] == f"replication set {arn} disappeared while the stack was changing it"
    assert all_sets() == []


def test_a_set_deleted_while_it_was_settling_fails_the_update(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    updating_outside(arn)

    def then_deleted() -> None:
        control.advance_clock(20)
        delete_outside(arn)
        control.advance_clock(20)

    control.after_call("GetReplicationSet", lambda: None)  # the update's first read
    control.after_call("GetReplicationSet", then_deleted)  # its first poll
    answer = stack.update(arn, TWO_REGIONS, ONE_REGION)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"] == f"replication set {arn} disappeared while the stack was changing it"


def test_a_set_deleted_right_after_it_settled_fails_the_update(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    updating_outside(arn)

    def deleted_once_active() -> None:
        if outside().get_replication_set(arn=arn)["replicationSet"]["status"] != "ACTIVE":
            control.after_call("GetReplicationSet", deleted_once_active)  # the next poll
            return
        delete_outside(arn)  # between the poll that saw it ACTIVE and the read of its tags
        control.advance_clock(20)
        outside().list_replication_sets()

    control.after_call("GetReplicationSet", deleted_once_active)
    answer = stack.update(arn, TWO_REGIONS, ONE_REGION)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"] == f"replication set {arn} disappeared while the stack was changing it"


def test_an_update_of_a_set_failed_in_every_region_names_each_failure(
    stack: Stack, kms_key: MakeKey
) -> None:
    key = kms_key(HOME)
    properties = {"Regions": [{"RegionName": HOME, "RegionConfiguration": {"SseKmsKeyId": key}}]}
    control.set_transition_reads(1)  # the change ends at the next read
    control.schedule_key_deletion_after("CreateReplicationSet", key)
    arn = stack.create(properties)["PhysicalResourceId"]
    answer = stack.update(arn, {**properties, "Tags": [{"Key": "a", "Value": "b"}]}, properties)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"replication set {arn} is FAILED: {HOME}: FAILED (KMS key {key} is PendingDeletion)"
    )
    assert control.mutating_calls() == {"CreateReplicationSet": 1}


def test_a_set_deleted_while_its_failed_region_is_removed_fails_the_update(
    stack: Stack, kms_key: MakeKey
) -> None:
    control.set_failed_region_removable(True)
    east, west = kms_key(HOME), kms_key("us-west-2")
    one = {"Regions": [{"RegionName": HOME, "RegionConfiguration": {"SseKmsKeyId": east}}]}
    arn = stack.create(one)["PhysicalResourceId"]
    two = {
        "Regions": [
            *one["Regions"],
            {"RegionName": "us-west-2", "RegionConfiguration": {"SseKmsKeyId": west}},
        ]
    }
    control.set_transition_reads(1)  # the change ends at the next read
    control.schedule_key_deletion_after("UpdateReplicationSet", west)
    assert stack.update(arn, two, one)["Status"] == "FAILED"  # us-west-2 FAILED
    control.after_call("UpdateReplicationSet", lambda: delete_outside(arn))
    answer = stack.update(arn, one, two)  # the rollback removes the failed Region
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == f"replication set {arn} disappeared while it was being changed"
