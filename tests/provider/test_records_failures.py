"""The records table failing or forgetting: a continuation that cannot read its record, one
whose record expired, an answer the records cannot keep. Each test says what CloudFormation
gets, and which set, if any, it names for the rollback."""

import time
from typing import Any

import boto3
import pytest

from emulator import control
from provider.ownership import MANAGER
from provider.records import Records, RecordsUnavailable, Step
from provider.settings import settings
from tests.provider.conftest import (
    HOME,
    UNREACHABLE,
    CapturedLogs,
    Stack,
    delete_outside_uncounted,
    failing,
    marked,
)
from tests.provider.test_create import ONE_REGION, all_sets, replication_set
from tests.provider.test_forged_events import handed_off, nothing_happened
from tests.provider.test_one_effect import OTHER_STACK
from tests.provider.test_records import items
from tests.provider.test_update import regions

#: Region removals play no part here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


# -- a continuation that cannot read its record -------------------------------------------------


def test_a_continuation_that_cannot_read_its_record_fails_naming_the_table(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    event = stack.event("Delete", ONE_REGION, physical_id=arn)
    stack.invoke(event)  # DeleteReplicationSet, then waiting: handed off
    [continuation] = stack.continuations
    stack.continuations.clear()
    with failing(stack.runtime.records().client, "GetItem", UNREACHABLE):
        stack.invoke(continuation)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"] == (
        f"The provider could not use its records table {settings().idempotency_table} "
        '(EndpointConnectionError: Could not connect to the endpoint URL: "https://dynamodb.'
        "us-east-1.amazonaws.com\"). Check that the table exists and that the provider's role "
        "may use it, then retry the stack operation."
    )  # not "nothing was changed": the first step started deleting the set


def test_a_create_continuation_that_cannot_read_its_record_names_the_set_for_the_rollback(
    stack: Stack,
) -> None:
    event, continuation = handed_off(stack)
    [arn] = all_sets()
    with failing(stack.runtime.records().client, "GetItem", UNREACHABLE):
        stack.invoke(continuation)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    # CloudFormation's rollback deletes that ID once the table answers again
    assert stack.delete(arn)["Status"] == "SUCCESS"
    assert all_sets() == []


def test_a_create_continuation_that_cannot_read_its_record_or_list_sets_still_answers(
    stack: Stack,
) -> None:
    event, continuation = handed_off(stack)
    control.inject_fault("ListReplicationSets", "AccessDeniedException", count=10)
    with failing(stack.runtime.records().client, "GetItem", UNREACHABLE):
        stack.invoke(continuation)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("The provider could not use its records table")


def test_an_adoptions_continuation_that_cannot_read_its_record_names_no_set(
    stack: Stack,
) -> None:
    """The adoption was under way (the set is still the first stack's): the continuation cannot
    prove any set is its own, so it names none, and says how to find one that is."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    adopt = {"Regions": regions(HOME, "eu-west-1"), "AdoptExisting": "true"}
    event = stack.event("Create", adopt, stack_id=OTHER_STACK)
    stack.invoke(event)  # adds eu-west-1, then waits: handed off
    [continuation] = stack.continuations
    stack.continuations.clear()
    with failing(stack.runtime.records().client, "GetItem", UNREACHABLE):
        stack.invoke(continuation)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert answer["Status"] == "FAILED" and not answer["PhysicalResourceId"].startswith("arn:")
    assert answer["Reason"].endswith(
        "Any replication set this request made or adopted carries the tag "
        "IncidentReplicationSetProvider:manager naming this resource: aws ssm-incidents "
        "list-replication-sets, then aws ssm-incidents list-tags-for-resource --resource-arn ARN."
    )
    assert all_sets() == [arn] and replication_set(arn)["tags"][MANAGER] == (marked({})[MANAGER])


def test_an_update_continuation_that_cannot_read_its_record_deletes_the_set_it_recreated(
    stack: Stack,
) -> None:
    """The update re-created a set deleted outside the stack; its continuation lost its record,
    and finds the new set by the manager mark it was born with: deleted, not orphaned."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    delete_outside_uncounted(arn)
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    event = stack.event("Update", ONE_REGION, physical_id=arn, old_properties=ONE_REGION)
    stack.invoke(event)  # CreateReplicationSet, then waiting: handed off
    [continuation] = stack.continuations
    stack.continuations.clear()
    [made] = all_sets()
    control.set_transition_seconds(0)
    with failing(stack.runtime.records().client, "GetItem", UNREACHABLE):
        stack.invoke(continuation)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"].endswith(
        f"The replication set {made} this update created was deleted: no stack would own it."
    )
    assert all_sets() == []


# -- a record expired, an answer not kept -------------------------------------------------------


def test_a_continuation_whose_record_expired_changes_nothing(stack: Stack) -> None:
    """A step's record lives 24 hours; DynamoDB's TTL removes it days later. A continuation
    replayed in between finds an expired record, and is ignored like a forged one."""
    _, continuation = handed_off(stack)
    [key] = [key for key in items() if key.startswith("request#")]
    boto3.client("dynamodb", region_name=HOME).update_item(
        TableName=settings().idempotency_table,
        Key={"id": {"S": key}},
        UpdateExpression="SET expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    stack.invoke(continuation)
    nothing_happened(stack, continuation)


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
