"""A malformed event is answered within CloudFormation's 4 KB whatever its fields hold, and a
field the answer names back is checked first. Before, fields of quotes or control characters
made the answer too long to fit: the handler raised, and CloudFormation got no answer."""

import pytest

from emulator import control
from provider.responder import MAX_BODY_BYTES
from tests.provider.conftest import Stack
from tests.provider.test_create import ONE_REGION, all_sets

#: Region removals play no part here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


@pytest.mark.parametrize("character", ['"', "\\", "\x01"])
def test_a_malformed_event_of_escaped_characters_is_answered_within_4_kb(
    stack: Stack, character: str
) -> None:
    """JSON writes each of these in 2 or 6 bytes: the fields are cut by their written size."""
    event = stack.event("Update", ONE_REGION, physical_id="p", old_properties=ONE_REGION)
    fields = ("StackId", "LogicalResourceId", "PhysicalResourceId")
    stack.invoke({**event, **{name: character * 1024 for name in fields}})
    [delivery] = stack.endpoint.deliveries
    assert len(delivery.raw) <= MAX_BODY_BYTES and delivery.body["Status"] == "FAILED"
    assert delivery.body["Reason"].startswith(
        "Malformed CloudFormation event: StackId: a CloudFormation stack ARN"
    )


def test_a_create_carrying_a_physical_id_out_of_shape_is_a_malformed_event(stack: Stack) -> None:
    """CloudFormation sends a Create no PhysicalResourceId; one that does is answered with it."""
    event = {**stack.event("Create", ONE_REGION), "PhysicalResourceId": "x" * 5000}
    stack.invoke(event)
    [delivery] = stack.endpoint.deliveries
    assert len(delivery.raw) <= MAX_BODY_BYTES
    assert delivery.body["Reason"] == (
        "Malformed CloudFormation event: PhysicalResourceId: 1 to 1024 printable ASCII characters"
    )
    assert control.call_counts() == {} and all_sets() == []
