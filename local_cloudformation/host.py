"""The provider as Lambda runs it, in this process: one invocation at a time, real time.

Continuations (the provider's self-invoke when Lambda time runs low) are queued and run next,
as Lambda's asynchronous invoke would; the answer is what the provider PUT to the ResponseURL.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from provider.app import make_handler, send_logs_to
from provider.runtime import Runtime
from provider.settings import settings

from .engine import Invoke
from .protocol import FakeContext, RealClock, ResponseEndpoint
from .provider_stack import TABLE_VARIABLE, create_records_table


@contextmanager
def provider_host(
    endpoint: ResponseEndpoint,
    region: str = "us-east-1",
    timeout_seconds: float = 900,
    logs: TextIO | None = None,
) -> Iterator[Invoke]:
    """Route the provider's responses to ``endpoint``, its continuations to a local queue, and
    its log lines to ``logs`` (default: where they go now); its records go to a table made as
    the provider stack makes it."""
    import boto3  # noqa: PLC0415 - after the caller set up the emulator

    continuations: list[dict[str, Any]] = []
    table = create_records_table(boto3.client("dynamodb", region_name=region))
    lambda_environment = {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        TABLE_VARIABLE: table,
    }
    saved_environment = {name: os.environ.get(name) for name in lambda_environment}
    os.environ.update(lambda_environment)
    saved_stream = send_logs_to(logs) if logs else None
    saved_origins = os.environ.get("PROVIDER_RESPONSE_ORIGINS")
    os.environ["PROVIDER_RESPONSE_ORIGINS"] = endpoint.origin
    settings.cache_clear()
    # clients of this host's own, built under the environment the host sets up
    handler = make_handler(
        Runtime(continue_later=lambda event, context: continuations.append(event))
    )

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        pending = [event]
        while pending:
            context = cast(LambdaContext, FakeContext(RealClock(), timeout_seconds))
            handler(pending.pop(0), context)
            pending += continuations
            continuations.clear()
        answers = endpoint.for_request(event["RequestId"])
        if not answers:
            return {
                "Status": "FAILED",
                "PhysicalResourceId": event.get("PhysicalResourceId", ""),
                "Reason": "The provider sent no response: CloudFormation would wait an hour",
            }
        return answers[-1]

    try:
        yield invoke
    finally:
        if saved_stream is not None:
            send_logs_to(saved_stream)
        for name, value in {
            **saved_environment,
            "PROVIDER_RESPONSE_ORIGINS": saved_origins,
        }.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.cache_clear()
