"""Paths coverage showed no test reached, without the emulator: records another version of
the provider may have left, a context without a function ARN, and the request the self-invoke
makes of Lambda."""

import json
from types import SimpleNamespace
from typing import Any, cast

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.awsrequest import AWSResponse, HTTPHeaders

from provider.request import MalformedEvent, function_account, parse_request
from provider.runtime import invoke_self
from tests.core.test_answers_within_4_kb import STACK_ID, event

# -- the function's own account ---------------------------------------------------------------


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


# -- the self-invoke ---------------------------------------------------------------------------


def test_the_self_invoke_asks_lambda_to_run_this_very_function_again_asynchronously(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lambda is asked, not answered: the call is captured before it leaves (202, as Lambda
    accepts an asynchronous invocation)."""
    session = boto3.session.Session(region_name="us-east-1")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
    asked: list[dict[str, Any]] = []

    def accepted(params: dict[str, Any], **_: Any) -> Any:
        asked.append(params)
        return AWSResponse(params["url"], 202, HTTPHeaders(), None), {"StatusCode": 202}

    session.events.register("before-call.lambda.Invoke", accepted)
    function = "arn:aws:lambda:us-east-1:123456789012:function:provider"
    continuation = {**event(), "ProviderContinuation": {"Step": 1}}
    invoke_self(continuation, cast(LambdaContext, SimpleNamespace(invoked_function_arn=function)))
    [request] = asked
    assert (
        request["url_path"] == f"/2015-03-31/functions/{function.replace(':', '%3A')}/invocations"
    )
    assert request["headers"]["X-Amz-Invocation-Type"] == "Event"
    assert json.loads(request["body"]) == continuation
