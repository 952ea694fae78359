"""Rare paths of the edges and the records that coverage showed no test reached: KMS and
DynamoDB failing, a set deleted between two reads, two requests writing one owner record, a
continuation whose record expired, calls that use up Lambda's time, the rollback of a Create
refused for its Region names. Each is something a user could meet on AWS; each test says what
CloudFormation gets."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import EndpointConnectionError

from emulator import control
from local_cloudformation.protocol import STACK_ID
from provider.settings import settings
from tests.provider.conftest import HOME, MakeKey, Stack, success
from tests.provider.test_create import ONE_REGION, all_sets, replication_set
from tests.provider.test_forged_events import handed_off, nothing_happened
from tests.provider.test_records import items
from tests.provider.test_update import regions

#: Region removals play no part here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

OTHER_STACK = STACK_ID.replace("stack/incidents/", "stack/other/")
ADOPT = {**ONE_REGION, "AdoptExisting": "true"}
UNREACHABLE = "unreachable"  # a connection error, after botocore's retries


@contextmanager
def failing(
    client: Any,
    operation: str,
    code: str,
    when: Callable[[bytes], bool] = lambda _: True,
    message: str = "refused",
) -> Iterator[list[str]]:
    """Calls of ``operation`` through ``client`` (those whose request body ``when`` picks) are
    answered with AWS's error ``code`` and ``message``, or fail to connect (UNREACHABLE), until
    the block ends; yields the calls so answered."""
    answered: list[str] = []
    service = client.meta.service_model.service_id.hyphenize()

    def answer(params: dict[str, Any], **_: Any) -> Any:
        if not when(params["body"]):
            return None
        answered.append(operation)
        if code == UNREACHABLE:
            raise EndpointConnectionError(endpoint_url=f"https://{service}.{HOME}.amazonaws.com")
        error = {"Code": code, "Message": message}
        response = {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse(params["url"], 400, HTTPHeaders(), None), response

    client.meta.events.register(f"before-call.{service}.{operation}", answer)
    try:
        yield answered
    finally:
        client.meta.events.unregister(f"before-call.{service}.{operation}", answer)


def owner_item(body: bytes) -> bool:
    return b'"owner#' in body


def owners(arn: str) -> list[tuple[str, str]]:
    found = items()[f"owner#{arn}"]["owners"]["L"]
    return [(o["M"]["stack_id"]["S"], o["M"]["logical_id"]["S"]) for o in found]


def write_owners(arn: str, line: list[tuple[str, str]], version: int) -> None:
    """Another request's owner record write, landing first."""
    boto3.client("dynamodb", region_name=HOME).put_item(
        TableName=settings().idempotency_table,
        Item={
            "id": {"S": f"owner#{arn}"},
            "owners": {
                "L": [{"M": {"stack_id": {"S": s}, "logical_id": {"S": r}}} for s, r in line]
            },
            "version": {"N": str(version)},
        },
    )


def delete_outside(arn: str) -> None:
    with control.uncounted():
        client = boto3.client("ssm-incidents", region_name=HOME)
        client.get_replication_set(arn=arn)
        client.delete_replication_set(arn=arn)
        client.list_replication_sets()  # the deletion ends (instant transitions)


# -- Incident Manager ---------------------------------------------------------------------------


def test_an_update_whose_set_is_deleted_between_its_two_reads_creates_it_anew(
    stack: Stack,
) -> None:
    """GetReplicationSet found the set; ListTagsForResource then says it is gone."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.after_call("GetReplicationSet", lambda: delete_outside(arn))
    wanted = {**ONE_REGION, "Tags": [{"Key": "team", "Value": "sre"}]}
    event = stack.event("Update", wanted, physical_id=arn, old_properties=ONE_REGION)
    answer = stack.send(event)
    [made] = all_sets()
    assert made != arn and answer == success(event, made)
    assert replication_set(made)["tags"] == {"team": "sre"}


# -- KMS ----------------------------------------------------------------------------------------


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
            "KMSInternalException",
            "internal error",
            "DescribeKey of {key} in us-east-1 failed with KMSInternalException: internal error",
        ),
        (
            UNREACHABLE,
            "",
            "DescribeKey could not reach KMS in us-east-1: Could not connect to the endpoint "
            'URL: "https://kms.us-east-1.amazonaws.com"',
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


# -- the records table ----------------------------------------------------------------------------


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


def test_an_adoption_that_loses_the_owner_record_to_another_reads_it_again_and_goes_last(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    first = (STACK_ID, "ReplicationSet")
    third = (STACK_ID.replace("stack/incidents/", "stack/third/"), "ReplicationSet")
    landed: list[int] = []

    def another_adoption_lands_first(params: dict[str, Any], **_: Any) -> None:
        if owner_item(params["body"]) and not landed:
            landed.append(1)
            write_owners(arn, [first, third], version=2)

    client = stack.runtime.records().client
    client.meta.events.register("before-call.dynamodb.PutItem", another_adoption_lands_first)
    event = stack.event("Create", ADOPT, stack_id=OTHER_STACK)
    assert stack.send(event) == success(event, arn)
    assert landed and owners(arn) == [first, third, (OTHER_STACK, "ReplicationSet")]


def test_an_owner_record_that_keeps_changing_fails_the_request_asking_for_a_retry(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    first = (STACK_ID, "ReplicationSet")
    versions = iter(range(2, 10))

    def another_request_lands_first(params: dict[str, Any], **_: Any) -> None:
        if owner_item(params["body"]):
            write_owners(arn, [first], version=next(versions))

    client = stack.runtime.records().client
    client.meta.events.register("before-call.dynamodb.PutItem", another_request_lands_first)
    answer = stack.create(ADOPT, stack_id=OTHER_STACK)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"the owner record of {arn} in table {settings().idempotency_table} kept changing "
        "under this request; retry the stack operation"
    )
    assert next(versions) == 5  # three tries, each lost
    assert answer["PhysicalResourceId"] != arn  # this stack's rollback leaves the set alone
    assert owners(arn) == [first]


@pytest.mark.parametrize("code", ["AccessDeniedException", UNREACHABLE])
def test_a_delete_that_cannot_read_the_owner_record_fails_and_keeps_the_set(
    stack: Stack, code: str
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.reset_call_counts()
    with failing(stack.runtime.records().client, "GetItem", code):
        answer = stack.delete(arn)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"].startswith(
        f"The provider could not use its records table {settings().idempotency_table} ("
    )
    assert all_sets() == [arn] and control.mutating_calls() == {}
    assert stack.delete(arn)["Status"] == "SUCCESS"  # CloudFormation's retry, table back
    assert all_sets() == []


@pytest.mark.parametrize("code", ["AccessDeniedException", UNREACHABLE])
def test_a_create_whose_owner_record_cannot_be_written_fails_with_the_sets_arn(
    stack: Stack, code: str
) -> None:
    with failing(stack.runtime.records().client, "PutItem", code, when=owner_item) as answered:
        answer = stack.create(ONE_REGION)
    [made] = all_sets()
    assert answered == ["PutItem"]
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", made)
    assert answer["Reason"].startswith(
        f"The provider could not use its records table {settings().idempotency_table} ("
    )
    assert "nothing was changed" not in answer["Reason"]  # the set was made
    rollback = stack.delete(made)  # CloudFormation's rollback, table back
    assert rollback["Status"] == "SUCCESS" and all_sets() == []


def test_a_delete_refused_for_a_set_nobody_recorded_leaves_no_owner_record(
    stack: Stack,
) -> None:
    """A set made before owner records (or whose record was lost) is marked as being deleted
    while its Delete runs; a refused Delete takes the mark away, so another stack may still
    adopt it."""
    protected = {**ONE_REGION, "DeletionProtected": "true"}
    arn = stack.create(protected)["PhysicalResourceId"]
    boto3.client("dynamodb", region_name=HOME).delete_item(
        TableName=settings().idempotency_table, Key={"id": {"S": f"owner#{arn}"}}
    )
    refused = stack.delete(arn)
    assert refused["Status"] == "FAILED" and "deletion protection on" in refused["Reason"]
    assert f"owner#{arn}" not in items()
    event = stack.event("Create", {**protected, "AdoptExisting": "true"}, stack_id=OTHER_STACK)
    assert stack.send(event) == success(event, arn)


# -- Lambda's time --------------------------------------------------------------------------------


def test_calls_that_use_up_lambdas_time_hand_off_before_the_next_call(stack: Stack) -> None:
    old = {**ONE_REGION, "Tags": [{"Key": "old", "Value": "1"}]}
    arn = stack.create(old)["PhysicalResourceId"]
    stack.timeout_seconds = 60  # a 30 s reserve
    for operation in ("TagResource", "UntagResource", "UpdateDeletionProtection"):
        stack.call_seconds[operation] = 20
    wanted = {**ONE_REGION, "Tags": [{"Key": "new", "Value": "2"}], "DeletionProtected": "true"}
    event = stack.event("Update", wanted, physical_id=arn, old_properties=old)
    assert stack.send(event) == success(event, arn)
    # two 20 s calls left 20 s: the third is made in a new invocation
    assert stack.handoffs_left == [20] and stack.invocations == 3
    found = replication_set(arn)
    assert (found["tags"], found["deletionProtected"]) == ({"new": "2"}, True)


# -- a rollback of odd properties ----------------------------------------------------------------


def test_the_rollback_of_a_create_refused_for_its_region_names_succeeds(stack: Stack) -> None:
    bad = {"Regions": [{"RegionName": 1}, {"RegionName": "x" * 30}, {"RegionName": HOME}]}
    refused = stack.create(bad)
    assert refused["Status"] == "FAILED"
    rollback = stack.delete(refused["PhysicalResourceId"], bad)
    assert (rollback["Status"], rollback["Reason"]) == ("SUCCESS", "")
    assert control.call_counts() == {}
