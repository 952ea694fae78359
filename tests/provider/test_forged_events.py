"""Forged events: what anyone allowed to invoke the provider can send it, and what comes of it
(issue 17). The provider trusts only what CloudFormation sent and its own records."""

import io
import json
from typing import Any, cast

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from emulator import control
from local_cloudformation.protocol import STACK_ID, FakeContext
from provider.app import make_handler
from provider.logs import MAX_LOG_LINE, send_logs_to
from provider.request import CONTINUATION, MAX_STEPS
from provider.responder import MAX_BODY_BYTES
from tests.provider.conftest import Stack
from tests.provider.test_create import ONE_REGION, all_sets, replication_set

#: Region removals play no part here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

PROTECTED = {**ONE_REGION, "DeletionProtected": "true"}


def nothing_happened(stack: Stack, event: dict[str, Any]) -> None:
    assert stack.endpoint.for_request(event["RequestId"]) == [], "a forged event was answered"
    assert control.call_counts() == {}, "a forged event called Incident Manager"
    assert stack.continuations == [], "a forged event started a continuation"


def test_a_forged_continuation_naming_the_accounts_set_changes_nothing(stack: Stack) -> None:
    """Before: its Created field made the failure path turn protection off and delete the set."""
    arn = stack.create(PROTECTED)["PhysicalResourceId"]
    control.reset_call_counts()
    forged = {
        **stack.event("Update", {"Regions": []}, physical_id="other", old_properties=PROTECTED),
        CONTINUATION: {"Step": 1, "Created": arn, "Deadline": 1e300, "Attempt": 0},
    }
    stack.invoke(forged)
    nothing_happened(stack, forged)
    assert replication_set(arn)["deletionProtected"] is True


def test_a_forged_create_continuation_cannot_skip_the_adoption_refusal(stack: Stack) -> None:
    arn = stack.create(PROTECTED)["PhysicalResourceId"]
    control.reset_call_counts()
    forged = {**stack.event("Create", ONE_REGION), CONTINUATION: {"Step": 1, "Created": arn}}
    stack.invoke(forged)
    nothing_happened(stack, forged)
    assert replication_set(arn)["deletionProtected"] is True


def handed_off(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """A real Create that handed off: its event and the continuation Lambda would deliver."""
    control.set_transition_seconds(120)
    stack.timeout_seconds = 60
    event = stack.event("Create", ONE_REGION)
    stack.invoke(event)
    [continuation] = stack.continuations
    stack.continuations.clear()
    control.reset_call_counts()
    return event, continuation


@pytest.mark.parametrize(
    "alteration",
    [
        {"StackId": STACK_ID.replace("stack/incidents/", "stack/other/")},
        {"LogicalResourceId": "SomethingElse"},
        {"RequestId": "7bfe2d24-5e4c-4a8e-9d3a-000000000000"},
        {CONTINUATION: {"Step": 2}},
        {CONTINUATION: {"Step": MAX_STEPS + 1}},
        {CONTINUATION: {"Step": 1.0}},
        {CONTINUATION: {"Step": True}},
    ],
)
def test_a_real_continuation_with_an_altered_field_changes_nothing(
    stack: Stack, alteration: dict[str, Any]
) -> None:
    _, continuation = handed_off(stack)
    altered = {**continuation, **alteration}
    stack.invoke(altered)
    nothing_happened(stack, altered)


def test_a_continuations_own_fields_are_ignored_and_never_carried_on(stack: Stack) -> None:
    """The deadline, attempt and ARN come from the records: a continuation whose event adds
    them (infinite, not a number) carries on with the recorded ones, and passes on only its
    step."""
    event, continuation = handed_off(stack)
    padded = {
        **continuation,
        CONTINUATION: {"Step": 1, "Deadline": "inf", "Attempt": "nan", "Created": "x"},
    }
    stack.invoke(padded)
    [next_one] = stack.continuations
    assert next_one[CONTINUATION] == {"Step": 2}
    stack.continuations.clear()
    control.advance_clock(7200)
    stack.send(next_one)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert answer["Status"] == "SUCCESS" and answer["PhysicalResourceId"] == all_sets()[0]


def test_a_chain_of_continuations_ends_at_the_first_deliverys_deadline_with_one_failed(
    stack: Stack,
) -> None:
    control.set_transition_seconds(10**7)  # never ready
    stack.timeout_seconds = 60
    started = stack.clock.time()
    event = stack.event("Create", {**ONE_REGION, "ServiceTimeout": "600"})
    answer = stack.send(event)  # exactly one answer, after a bounded chain
    assert answer["Status"] == "FAILED"
    assert "when the provider's deadline passed" in answer["Reason"]
    assert stack.clock.time() - started <= 590 + 60  # ServiceTimeout less 10 s, one poll more
    assert stack.invocations <= 590 // 30 + 2 < MAX_STEPS  # each hands off after about 30 s


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("StackId", STACK_ID.replace("123456789012", "210987654321"), "StackId: a stack of"),
        ("StackId", "arn:aws:cloudformation:us-east-1:123456789012:stack", "StackId: a Cloud"),
        ("LogicalResourceId", "L" * 1_000_000, "LogicalResourceId: 1 to 255 of"),
        ("LogicalResourceId", "Has-Dash", "LogicalResourceId: 1 to 255 of"),
        ("RequestId", "r" * 129, "RequestId: 1 to 128 of"),
        ("RequestId", "id with spaces", "RequestId: 1 to 128 of"),
        ("ResourceType", "AWS::SSMIncidents::ReplicationSet", "ResourceType: Custom::NAME"),
        ("ResourceType", "Custom::" + "x" * 61, "ResourceType: Custom::NAME"),
        ("PhysicalResourceId", "p" * 1025, "PhysicalResourceId: required for Update"),
    ],
)
def test_an_identity_field_out_of_shape_is_a_malformed_event_answered_within_4_kb(
    stack: Stack, field: str, value: str, rule: str
) -> None:
    event = stack.event("Update", ONE_REGION, physical_id="p", old_properties=ONE_REGION)
    forged = {**event, field: value}
    stack.invoke(forged)  # returns: nothing escapes the handler
    [delivery] = [d for d in stack.endpoint.deliveries if rule in d.body["Reason"]]
    assert len(delivery.raw) <= MAX_BODY_BYTES
    assert delivery.body["Status"] == "FAILED"
    assert delivery.body["Reason"].startswith("Malformed CloudFormation event: ")
    assert control.call_counts() == {}


def test_a_response_url_of_megabytes_is_logged_not_answered(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = stack.event("Create", ONE_REGION)
    event["ResponseURL"] += "&x=" + "a" * 1_000_000
    stack.invoke(event)
    assert stack.endpoint.attempts == 0 and control.call_counts() == {}


def test_every_answer_stays_within_4_kb_whatever_the_event_holds(stack: Stack) -> None:
    long_id = "arn:aws:ssm-incidents::123456789012:replication-set/" + "x" * 970
    event = stack.event(
        "Update", {"Regions": [{"RegionName": "x" * 5000}] * 3}, physical_id=long_id
    )
    event["LogicalResourceId"] = "L" * 255
    stack.invoke(event)
    [delivery] = stack.endpoint.deliveries
    assert len(delivery.raw) <= MAX_BODY_BYTES
    assert delivery.body["PhysicalResourceId"] == long_id  # the identity is never cut


def test_a_lone_surrogate_in_the_event_is_logged_escaped_never_lost(stack: Stack) -> None:
    raw = io.BytesIO()
    strict = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    previous = send_logs_to(strict)
    try:
        event = stack.event("Create", ONE_REGION)
        event["StackId"] = STACK_ID.replace("incidents", "inci\udc80dents")
        stack.invoke(event)
    finally:
        send_logs_to(previous)
    lines = [json.loads(line) for line in raw.getvalue().decode().splitlines()]
    assert lines, "no log line reached Lambda's stdout"
    assert all(line["StackId"].endswith("inci\\udc80dents/5b2d7e40-0d3a-11ef-9f0f-0a1b2c3d4e5f")
               for line in lines)  # fmt: skip
    [delivery] = stack.endpoint.deliveries  # malformed (not a stack ARN): one FAILED
    assert delivery.body["Reason"].startswith("Malformed CloudFormation event: StackId:")


def test_a_malformed_event_with_an_invalid_url_is_given_up_without_an_exception(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = stack.event("Create", ONE_REGION)
    event["RequestType"] = "Replace"
    event["ResponseURL"] = event["ResponseURL"].replace("/cloudformation", "/a b/cloudformation")
    stack.invoke(event)  # http.client's InvalidURL is given up on, not raised
    assert stack.endpoint.attempts == 0


def test_invoking_the_provider_is_control_of_the_set(stack: Stack) -> None:
    """What the README's "Who may invoke" warns of: a well-formed Delete from the resource that
    manages the set deletes it. Only CloudFormation should be able to send one."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    assert stack.delete(arn)["Status"] == "SUCCESS"
    assert all_sets() == []


def logged(stack: Stack, event: dict[str, Any]) -> list[str]:
    stream = io.StringIO()
    previous = send_logs_to(stream)
    try:
        stack.invoke(event)
    finally:
        send_logs_to(previous)
    return stream.getvalue().splitlines()


@pytest.mark.parametrize(
    "change",
    [
        {"StackId": "\U0001f600" * 1024},  # malformed: answered, within 4 KB
        {"ResourceProperties": {**ONE_REGION, "DeletionProtected": "\U0001f600" * 2000}},
        {"RequestType": "Delete", "PhysicalResourceId": "\u00e9" * 1024},
    ],
)
def test_non_ascii_anywhere_keeps_the_answer_within_4_kb(
    stack: Stack, change: dict[str, Any]
) -> None:
    stack.invoke({**stack.event("Create", ONE_REGION), **change})
    [delivery] = stack.endpoint.deliveries
    assert len(delivery.raw) <= MAX_BODY_BYTES and delivery.body["Status"] == "FAILED"


@pytest.mark.parametrize(
    "properties",
    [
        {**ONE_REGION, **{f"k{i}": 0 for i in range(20_000)}},
        {**ONE_REGION, "ServiceTimeout": "9" * 200_000 + "x"},
    ],
)
def test_log_lines_stay_bounded_whatever_the_properties(
    stack: Stack, properties: dict[str, Any]
) -> None:
    lines = logged(stack, stack.event("Create", properties))
    assert lines and max(len(line) for line in lines) <= MAX_LOG_LINE


def test_crhelpers_timer_while_the_hand_off_is_recorded_still_leads_to_one_answer(
    stack: Stack,
) -> None:

    control.set_transition_seconds(120)  # the set takes 2 minutes to become ACTIVE
    stack.timeout_seconds = 60  # so step 0 hands off
    event = stack.event("Create", ONE_REGION)
    client = stack.runtime.records().client
    ran: list[int] = []

    def slow_save(**_: Any) -> None:
        if ran:
            return
        ran.append(1)
        # The step decided HandedOff; the UpdateItem that stores it is slow (throttled, retried)
        # and crhelper's timer fires meanwhile: it starts the continuation itself.
        due = min(t.due for t in stack.clock.timers)
        stack.clock.advance(due - stack.clock.now + 0.1)
        # Lambda runs that asynchronous invoke at once, in another execution environment.
        other = make_handler(stack.runtime)
        ends_at, stack.clock.ends_at = stack.clock.ends_at, None
        try:
            for continuation in stack.continuations:
                other(continuation, cast(LambdaContext, FakeContext(stack.clock, 900)))
        finally:
            stack.clock.ends_at = ends_at
        stack.continuations.clear()

    client.meta.events.register("before-call.dynamodb.UpdateItem", slow_save)
    stack.invoke(event)
    client.meta.events.unregister("before-call.dynamodb.UpdateItem", slow_save)
    pending = list(stack.continuations)
    stack.continuations.clear()
    for continuation in pending:  # anything still queued, run as Lambda would
        control.advance_clock(7200)
        stack.send(continuation)
    assert ran
    responses = stack.endpoint.for_request(event["RequestId"])
    made = all_sets()
    # The timer's path records the hand-off before starting the next step: it answers.
    assert [r["Status"] for r in responses] == ["SUCCESS"] and len(made) == 1


def test_an_adoption_that_records_itself_after_the_managers_whole_delete_is_refused(
    stack: Stack,
) -> None:

    other_stack = STACK_ID.replace("stack/incidents/", "stack/other/")
    adopt = {**ONE_REGION, "AdoptExisting": "true"}
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    manager = Stack(stack.endpoint, stack.clock, stack.runtime)  # the first stack, at once
    deleted: list[dict[str, Any]] = []

    def managers_delete_runs_now(params: dict[str, Any], **_: Any) -> None:
        # The adopter has read the set (ACTIVE, nothing to change) and now claims it; just
        # before, the manager's stack is deleted (the whole Delete: claim, delete, wait).
        if not deleted and params["resourceArn"] == arn:
            deleted.append({})
            deleted[0] = manager.delete(arn)

    client = stack.runtime.incidents()._client_for("us-east-1")
    event = "provide-client-params.ssm-incidents.TagResource"
    client.meta.events.register(event, managers_delete_runs_now)
    adopted = stack.create(adopt, stack_id=other_stack)
    client.meta.events.unregister(event, managers_delete_runs_now)
    assert deleted[0]["Status"] == "SUCCESS" and all_sets() == []
    assert adopted["Status"] == "FAILED"
    assert adopted["Reason"] == (
        f"Replication set {arn} was deleted while this request was changing who manages it; "
        "retry the stack operation (a Create then makes a new set)"
    )


def test_a_continuation_of_another_event_for_the_same_request_changes_nothing(
    stack: Stack,
) -> None:
    event, real = handed_off(stack)  # step 0's record is this Create's
    [arn] = all_sets()
    # Same RequestId/StackId/LogicalResourceId/step, but a Delete naming the set just made.
    forged = {**real, "RequestType": "Delete", "PhysicalResourceId": arn,
              CONTINUATION: {"Step": 1}}  # fmt: skip
    control.advance_clock(7200)
    control.set_transition_seconds(0)
    control.reset_call_counts()
    stack.invoke(forged)  # its event is not the one step 0 recorded: ignored
    assert all_sets() == [arn] and control.call_counts() == {}
    stack.invoke(real)  # CloudFormation's own continuation carries on
    answers = stack.endpoint.for_request(event["RequestId"])
    assert [(a["Status"], a["PhysicalResourceId"]) for a in answers] == [("SUCCESS", arn)]
