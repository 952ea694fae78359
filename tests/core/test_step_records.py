"""What a step's record holds: its outcome, written and read back by one conversion
(``provider.outcome.to_json`` / ``from_json``), and nothing else read back as one."""

from typing import Any

import pytest

from provider.outcome import Carried, Failed, HandedOff, Outcome, Succeeded, from_json, to_json
from tests.core.test_answers_within_4_kb import STACK_ID

ARN = "arn:aws:ssm-incidents::123456789012:replication-set/1da14ff8"
CARRIED = Carried(
    deadline=1700000000.5,
    step=1,
    created=ARN,
    stack_id=STACK_ID,
    logical_id="ReplicationSet",
    failing="Execution timed out",
    event_digest="0" * 64,
    adopting=None,
)


@pytest.mark.parametrize(
    "outcome",
    [
        Succeeded(ARN, {"Arn": ARN}),
        Failed("Regions: at least 1", None),
        Failed("x", ARN),
        HandedOff(CARRIED),
    ],
    ids=["succeeded", "failed-made-up-id", "failed-with-arn", "handed-off"],
)
def test_an_outcome_reads_back_as_it_was_written(outcome: Outcome) -> None:
    assert from_json(to_json(outcome)) == outcome


HANDED_OFF = to_json(HandedOff(CARRIED))["handed_off"]


@pytest.mark.parametrize(
    "stored",
    [
        {"handed_off": {k: v for k, v in HANDED_OFF.items() if k != "deadline"}},
        {"handed_off": {**HANDED_OFF, "deadline": "soon"}},
        {"handed_off": {**HANDED_OFF, "created": 7}},
        {"handed_off": {**HANDED_OFF, "stack_id": None}},
        {"succeeded": {"physical_id": ARN, "data": "Arn"}},
        {"failed": {"physical_id": ARN}},
        {"answer": {"Status": "SUCCESS"}},  # another version's shape
        {"failed": {"reason": "x"}, "succeeded": {"physical_id": ARN, "data": {}}},
        ["failed"],
        None,
    ],
    ids=[
        "no-deadline",
        "deadline-not-a-number",
        "created-not-text",
        "stack-null",
        "data-not-a-map",
        "failed-without-reason",
        "unknown-kind",
        "two-kinds",
        "not-a-map",
        "null",
    ],
)
def test_a_record_of_another_shape_is_no_outcome(stored: Any) -> None:
    """The step then refuses to act on it (a continuation changes nothing), never half-reads."""
    assert from_json(stored) is None
