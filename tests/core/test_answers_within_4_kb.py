"""Every answer fits CloudFormation's 4 KB with room for its Reason, whatever the event holds:
the request rules bound the identity it names, and a malformed event's fields are cut by the
size JSON writes them in (a quote takes 2 bytes, a control character 6)."""

from typing import Any

import pytest

from provider.outcome import Failed, response_body
from provider.request import IDENTITY_RULES, MAX_PHYSICAL_ID, MalformedEvent, parse_request
from provider.responder import MAX_BODY_BYTES, TRUNCATED, fit

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/incidents/5b2d7e40-0d3a-11ef"


def event(**fields: Any) -> dict[str, Any]:
    """An Update as CloudFormation sends it, with ``fields`` replaced."""
    return {
        "RequestType": "Update",
        "RequestId": "7bfe2d24-5e4c-4a8e-9d3a-0a1b2c3d4e5f",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k",
        "StackId": STACK_ID,
        "LogicalResourceId": "ReplicationSet",
        "ResourceType": "Custom::IncidentReplicationSet",
        "PhysicalResourceId": "arn:aws:ssm-incidents::123456789012:replication-set/x",
        "ResourceProperties": {},
        **fields,
    }


def longest_stack_id() -> str:
    start = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/"
    return start + "a" * (IDENTITY_RULES["StackId"].longest - len(start))


def test_the_largest_identity_a_request_may_carry_leaves_room_for_the_reason() -> None:
    """A quote or backslash in the PhysicalResourceId takes 2 bytes of JSON: 3.5 KB in all."""
    request = parse_request(
        event(
            StackId=longest_stack_id(),
            RequestId="r" * IDENTITY_RULES["RequestId"].longest,
            LogicalResourceId="L" * IDENTITY_RULES["LogicalResourceId"].longest,
            PhysicalResourceId='"\\' * (MAX_PHYSICAL_ID // 2),
        )
    )
    sent = fit(response_body(request.identity, Failed("why " * 2000)))
    assert len(sent) <= MAX_BODY_BYTES
    assert sent.decode().count("why") > 100 and TRUNCATED in sent.decode()


@pytest.mark.parametrize("character", ['"', "\\", "\x00", "\u00e9", "\udc80"])
def test_the_largest_malformed_identity_leaves_room_for_the_reason(character: str) -> None:
    """Before: a StackId of 1024 quotes was answered as 2048 bytes, and with the other fields
    the answer could not fit; the handler raised and answered nothing."""
    fields = ("StackId", "RequestId", "LogicalResourceId", "PhysicalResourceId")
    with pytest.raises(MalformedEvent) as caught:
        parse_request(event(**{name: character * 5000 for name in fields}))
    malformed = caught.value
    sent = fit(response_body(malformed.identity, Failed(malformed.reason)))
    assert len(sent) <= MAX_BODY_BYTES
    assert '"Reason": "Malformed CloudFormation event: RequestId: 1 to 128' in sent.decode()
