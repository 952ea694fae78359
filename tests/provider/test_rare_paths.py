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
from provider import waiting
from provider.ownership import CLAIM, MANAGER
from provider.settings import settings
from tests.provider.conftest import HOME, MakeKey, Stack, marked, success
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
    *,
    status: int = 400,
) -> Iterator[list[str]]:
    """Calls of ``operation`` through ``client`` (those whose request body ``when`` picks) are
    answered with AWS's error ``code`` and ``message`` (HTTP ``status``), or fail to connect
    (UNREACHABLE), until the block ends; yields the calls so answered."""
    answered: list[str] = []
    service = client.meta.service_model.service_id.hyphenize()

    def answer(params: dict[str, Any], **_: Any) -> Any:
        if not when(params["body"]):
            return None
        answered.append(operation)
        if code == UNREACHABLE:
            raise EndpointConnectionError(endpoint_url=f"https://{service}.{HOME}.amazonaws.com")
        error = {"Code": code, "Message": message}
        response = {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse(params["url"], status, HTTPHeaders(), None), response

    client.meta.events.register(f"before-call.{service}.{operation}", answer)
    try:
        yield answered
    finally:
        client.meta.events.unregister(f"before-call.{service}.{operation}", answer)


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
    assert replication_set(made)["tags"] == marked({"team": "sre"})


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
            "InvalidArnException",
            "not an ARN",
            "DescribeKey of {key} in us-east-1 failed with InvalidArnException: not an ARN",
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


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("KMSInternalException", "KMSInternalException: internal error"),
        (
            UNREACHABLE,
            'Could not connect to the endpoint URL: "https://kms.us-east-1.amazonaws.com"',
        ),
    ],
)
def test_a_kms_that_keeps_failing_is_waited_out_until_the_deadline_then_fails_before_any_change(
    stack: Stack, kms_key: MakeKey, monkeypatch: pytest.MonkeyPatch, code: str, what: str
) -> None:
    monkeypatch.setenv("PROVIDER_DEADLINE_SECONDS", "120")
    settings.cache_clear()
    monkeypatch.setattr(waiting, "jittered", lambda delay: delay)  # waits of 1, 2, 4... 20 s
    key = kms_key(HOME)
    kms = stack.runtime.kms()._client_for(HOME)
    with failing(kms, "DescribeKey", code, message="internal error", status=500) as answered:
        response = stack.create({"Regions": regions(HOME, key={HOME: key})})
    assert answered
    assert (response["Status"], response["Reason"]) == (
        "FAILED",
        f"KMS was unavailable for DescribeKey of {key} in us-east-1 ({what}) until the "
        "provider's deadline (PROVIDER_DEADLINE_SECONDS, or the resource's ServiceTimeout): "
        "each of its last 10 tries, over 111 s; retry the stack operation once KMS answers "
        "again (the AWS Health Dashboard shows service events)",
    )
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
    delete_outside(arn)
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


def test_an_adoption_that_another_overtakes_before_its_claim_goes_after_it(
    stack: Stack,
) -> None:
    """The marks are read again under the claim: an adoption that landed meanwhile is kept in
    the line, not overwritten."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    third = STACK_ID.replace("stack/incidents/", "stack/third/")
    third_stack = Stack(stack.endpoint, stack.clock, stack.runtime)  # its own invocation
    landed: list[dict[str, Any]] = []
    started: list[bool] = []

    def another_adoption_lands_first(params: dict[str, Any], **_: Any) -> None:
        if not started and any(k.startswith(CLAIM) for k in params.get("tags", {})):
            started.append(True)  # the third stack's own claim comes through here too
            landed.append(third_stack.create(ADOPT, stack_id=third))

    client = stack.runtime.incidents()._client_for(HOME)
    client.meta.events.register(
        "provide-client-params.ssm-incidents.TagResource", another_adoption_lands_first
    )
    event = stack.event("Create", ADOPT, stack_id=OTHER_STACK)
    assert stack.send(event) == success(event, arn)
    assert landed[0]["Status"] == "SUCCESS"
    line = ((STACK_ID, "ReplicationSet"), (third, "ReplicationSet"))
    assert replication_set(arn)["tags"] == marked({}, OTHER_STACK, line=line)


def test_a_claim_that_keeps_meeting_another_fails_asking_for_a_retry_and_changes_nothing(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    outside = boto3.client("ssm-incidents", region_name=HOME)
    # Another provider's claim, renewed on and on (it expires in an hour each time)
    busy = {f"{CLAIM}zzzzzzzzzzzzzzzz": str(int(stack.clock.now) + 3600)}
    outside.tag_resource(resourceArn=arn, tags=busy)
    control.reset_call_counts()
    answer = stack.create(ADOPT, stack_id=OTHER_STACK)
    assert (answer["Status"], answer["Reason"]) == (
        "FAILED",
        f"Another request is changing who manages replication set {arn} (its tags "
        f"{CLAIM}*); nothing was changed. Retry the stack operation in a minute.",
    )
    assert answer["PhysicalResourceId"] != arn  # this stack's rollback leaves the set alone
    # the refused CreateReplicationSet (a set exists), then four tries at a claim, each
    # taking its claim away again
    assert control.mutating_calls() == {
        "CreateReplicationSet": 1,
        "TagResource": 4,
        "UntagResource": 4,
    }
    assert replication_set(arn)["tags"] == {**marked({}), **busy}


def test_a_delete_that_may_not_claim_the_set_fails_and_keeps_it(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.reset_call_counts()
    control.inject_fault("TagResource", "AccessDeniedException")
    answer = stack.delete(arn)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"] == (
        "TagResource failed with AccessDeniedException: Injected AccessDeniedException for "
        "TagResource (grant ssm-incidents:TagResource to the provider's execution role)"
    )
    assert all_sets() == [arn] and replication_set(arn)["tags"] == marked({})
    assert stack.delete(arn)["Status"] == "SUCCESS"  # CloudFormation's retry, role fixed
    assert all_sets() == []


def test_a_refused_delete_leaves_no_claim_and_another_stack_may_adopt_at_once(
    stack: Stack,
) -> None:
    """No mark outlives its operation: the Delete refused for deletion protection takes its
    claim away, so an adoption right after is not kept waiting."""
    protected = {**ONE_REGION, "DeletionProtected": "true"}
    arn = stack.create(protected)["PhysicalResourceId"]
    refused = stack.delete(arn)
    assert refused["Status"] == "FAILED" and "deletion protection on" in refused["Reason"]
    assert replication_set(arn)["tags"] == marked({})
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
    assert (found["tags"], found["deletionProtected"]) == (marked({"new": "2"}), True)


# -- a rollback of odd properties ----------------------------------------------------------------


def test_the_rollback_of_a_create_refused_for_its_region_names_succeeds(stack: Stack) -> None:
    bad = {"Regions": [{"RegionName": 1}, {"RegionName": "x" * 30}, {"RegionName": HOME}]}
    refused = stack.create(bad)
    assert refused["Status"] == "FAILED"
    rollback = stack.delete(refused["PhysicalResourceId"], bad)
    assert (rollback["Status"], rollback["Reason"]) == ("SUCCESS", "")
    assert control.call_counts() == {}
