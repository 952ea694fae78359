"""The step runner (``provider.app``): a step's record is written only by that step's run, a
completed one never again, and whatever happens an invocation answers once. Each test is an
attack or a fault that once changed an answer (issue 25)."""

import time
from typing import Any

import boto3
import pytest

from emulator import control
from local_cloudformation.protocol import SERVICE_TOKEN
from provider import continuation
from provider.outcome import Failed, HandedOff, Succeeded
from provider.records import AlreadyRecorded, Step
from provider.request import CRHELPER_KEYS, function_account, parse_request
from provider.settings import settings
from tests.provider.conftest import Stack, marked, success
from tests.provider.test_create import ONE_REGION, all_sets, replication_set

#: Region removals play no part here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


def records_items() -> dict[str, dict[str, Any]]:
    table = settings().idempotency_table
    found = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=table)["Items"]
    return {str(item["id"]["S"]): item for item in found}


def elsewhere(event: dict[str, Any]) -> str:
    """Another ResponseURL the allow-list takes: where a forger has its answers sent."""
    return str(event["ResponseURL"]).replace("useast1/", "useast1/forged-")


@pytest.mark.parametrize("key", CRHELPER_KEYS)
def test_a_forged_crhelper_key_between_two_deliveries_changes_no_answer(
    stack: Stack, key: str
) -> None:
    event = stack.event("Create", ONE_REGION)
    first = stack.send(event)
    assert first["Status"] == "SUCCESS"
    before = records_items()
    forged = {**event, key: True, "ResponseURL": elsewhere(event)}
    stack.invoke(forged)
    [refused] = [d.body for d in stack.endpoint.deliveries if "forged-" in d.path]
    assert refused["Status"] == "FAILED"
    assert refused["Reason"].startswith(
        f"Malformed CloudFormation event: {key}: not a field of CloudFormation's requests"
    )
    assert records_items() == before  # no record touched
    stack.invoke(event)  # CloudFormation's own request, delivered again
    answers = [d.body for d in stack.endpoint.deliveries if "forged-" not in d.path]
    assert answers == [first, first] == [success(event, all_sets()[0])] * 2


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_an_exception_inside_the_step_ends_in_one_failed_answer(stack: Stack) -> None:
    """Before: a RecursionError inside the step (OldResourceProperties nested 951 deep, read
    only inside it) let crhelper answer for it, and the edge stored that FAILED over whatever
    the step's record held."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    before = records_items()
    event = stack.event("Update", ONE_REGION, physical_id=arn, old_properties=nested(951))
    stack.invoke(event)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("Internal error (RecursionError)")
    after = records_items()
    assert {key: after[key] for key in before} == before  # no other step's record touched
    assert all_sets() == [arn] and replication_set(arn)["tags"] == marked({})


def test_a_deep_forged_delivery_of_a_known_request_keeps_its_answer(stack: Stack) -> None:
    event = stack.event("Create", ONE_REGION)
    first = stack.send(event)
    before = records_items()
    forged = {**event, "ResourceProperties": nested(951), "ResponseURL": elsewhere(event)}
    stack.invoke(forged)
    assert records_items() == before
    stack.invoke(event)
    assert stack.endpoint.for_request(event["RequestId"])[-1] == first


def test_a_completed_record_is_never_overwritten_nor_deleted(stack: Stack) -> None:
    records = stack.runtime.records()
    step = Step("5ab95a80-7fda-4ed4-9dd5-cc2077960f4c", 0)
    arn = "arn:aws:ssm-incidents::123456789012:replication-set/made"
    ran = records.once(step, lambda: Succeeded(arn, {"Arn": arn}))
    assert (ran.fresh, ran.recorded) == (True, True)
    with pytest.raises(AlreadyRecorded):
        records.complete(step, Failed("Execution timed out"))  # crhelper's timer, too late
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        records.layer.delete_record(data=step.key, exception=RuntimeError("late"))
    again = records.once(step, lambda: Failed("never run"))
    assert (again.outcome, again.fresh) == (Succeeded(arn, {"Arn": arn}), False)
    assert records.read(step) == Succeeded(arn, {"Arn": arn})


def test_powertools_still_calls_the_layer_methods_the_condition_is_on(stack: Stack) -> None:
    """The condition lives in the two methods Powertools' persistence layers implement: were
    Powertools to stop calling them, a late write would go unconditioned. It still does."""
    records = stack.runtime.records()
    step = Step("r-powertools", 0)
    called: list[str] = []
    layer = records.layer
    for name in ("_update_record", "_delete_record"):
        original = getattr(layer, name)

        def spy(data_record: Any, original: Any = original, name: str = name) -> None:
            called.append(name)
            original(data_record)

        setattr(layer, name, spy)
    with pytest.warns(UserWarning, match="remaining time"):  # no Lambda context: by design
        records._once(step=step.key, work=lambda: {"failed": {"reason": "x"}})

    def broken() -> Any:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError), pytest.warns(UserWarning):  # deleted via _delete_record
        records._once(step=Step("r-powertools", 1).key, work=broken)
    assert called == ["_update_record", "_delete_record"]


def test_a_hand_off_record_naming_a_set_this_resource_does_not_manage_is_not_acted_on(
    stack: Stack,
) -> None:
    """Before: rewriting a hand-off's ARN and failure made the continuation turn protection
    off and delete a protected set. A table writer can still write a record; the set's own
    manager tag decides whether it is acted on."""
    arn = stack.create({**ONE_REGION, "DeletionProtected": "true"})["PhysicalResourceId"]
    gone = arn.replace(arn.rsplit("/", 1)[1], "00000000-0000-0000-0000-000000000000")
    event = stack.event("Update", ONE_REGION, physical_id=gone, logical_id="Other")
    request = parse_request(event, function_account(SERVICE_TOKEN))
    carried = continuation.carry(request, time.time() + 600, created=arn)
    forged = HandedOff(carried.__class__(**{**carried.__dict__, "failing": "forged"}))
    stack.runtime.records().once(Step(event["RequestId"], 0), lambda: forged)  # the writer
    control.reset_call_counts()
    stack.invoke(continuation.next_event(request, carried))
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(
        f"The provider's records hand on replication set {arn}, whose "
        "IncidentReplicationSetProvider:manager tag does not name this resource: nothing was "
        "changed."
    )
    assert "was left alone" in answer["Reason"]  # nor would the failure path delete it
    assert all_sets() == [arn] and replication_set(arn)["deletionProtected"] is True
    assert control.mutating_calls() == {}


def broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    "where",
    [
        "provider.app.decide",  # inside the step: its recorded outcome
        "provider.continuation.resume",  # before the step: no record, still one answer
    ],
)
def test_an_unexpected_error_in_the_runner_ends_in_one_failed_answer(
    stack: Stack, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(where, broken)
    event = stack.event("Create", ONE_REGION)
    stack.invoke(event)
    [answer] = stack.endpoint.for_request(event["RequestId"])
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("Internal error (RuntimeError)")
    assert all_sets() == []  # nothing made, so nothing left behind


def test_a_delivery_that_fails_after_the_step_still_answers_the_steps_outcome(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by this test: the last resort answered FAILED with a made-up ID after a Create
    had made its set and recorded SUCCESS (the set orphaned, a redelivery answering SUCCESS)."""
    event = stack.event("Create", ONE_REGION)
    with monkeypatch.context() as patch:
        patch.setattr("provider.app.Delivery.deliver", broken)
        stack.invoke(event)
    [arn] = all_sets()
    stack.invoke(event)  # the same request delivered again answers the same
    assert stack.endpoint.for_request(event["RequestId"]) == [success(event, arn)] * 2
