"""Parsing the event into a request, without the emulator: the function's own account, from
the ARN in Lambda's context, and the stacks it may then serve."""

from typing import Any

import pytest

from provider.request import MalformedEvent, function_account, parse_request
from tests.core.test_answers_within_4_kb import STACK_ID, event


def test_the_functions_arn_names_its_partition_and_account() -> None:
    arn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:provider:live"
    assert function_account(arn) == ("aws-cn", "123456789012")


@pytest.mark.parametrize("arn", [None, "", "provider", "arn:aws:lambda:us-east-1:local:function"])
def test_a_context_without_a_function_arn_checks_no_account(arn: Any) -> None:
    """A local runner's context may carry no ARN: the StackId's account is then not compared,
    while the function's own account refuses another's stack."""
    other = event(StackId=STACK_ID.replace("123456789012", "210987654321"))
    assert function_account(arn) is None
    assert parse_request(other, function_account(arn)).identity.stack_id == other["StackId"]
    with pytest.raises(MalformedEvent, match="StackId: a stack of account 123456789012"):
        parse_request(other, ("aws", "123456789012"))
