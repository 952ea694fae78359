"""Continuing in a new invocation, without the emulator: the request the self-invoke makes of
Lambda (the record a hand-off leaves: tests/core/test_step_records.py)."""

import json
from types import SimpleNamespace
from typing import Any, cast

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.awsrequest import AWSResponse, HTTPHeaders

from provider.runtime import invoke_self
from tests.core.test_answers_within_4_kb import event

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
