"""The provider as Lambda runs it, in this process: one invocation at a time, real time.

Continuations (the provider's self-invoke when Lambda time runs low) are queued and run next,
as Lambda's asynchronous invoke would; the answer is what the provider PUT to the ResponseURL.

Each :class:`Deployment` is one provider stack's function: its own Region, its own records
table and its own clients, built from those and never from the process's environment, so that
several deployments (another Region's, another provider stack's) run side by side against one
emulator, as they run in one account.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, TextIO, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from provider.app import make_handler
from provider.incidents import IncidentsApi
from provider.logs import send_logs_to
from provider.records import Records
from provider.runtime import Runtime, client_config
from provider.settings import settings

from .engine import Invoke
from .protocol import ACCOUNT, SERVICE_TOKEN, FakeContext, RealClock, ResponseEndpoint
from .provider_stack import PROVIDER_STACK, TABLE_VARIABLE, create_records_table, table_name


def service_token(region: str, provider_stack: str = PROVIDER_STACK, account: str = ACCOUNT) -> str:
    """The ServiceToken a provider stack exports: its function's ARN."""
    return f"arn:aws:lambda:{region}:{account}:function:{provider_stack}"


@dataclass
class Deployment:
    """One provider deployment, as a provider stack makes it: a function (its ServiceToken)
    in one Region, with its own records table."""

    provider_stack: str
    region: str
    service_token: str
    table: str
    endpoint: ResponseEndpoint
    timeout_seconds: float = 900

    def __post_init__(self) -> None:
        self._continuations: list[dict[str, Any]] = []
        self._handler = make_handler(self._runtime())

    def _runtime(self) -> Runtime:
        """This deployment's outside world: Incident Manager called from its Region, its own
        table; clients built on the first request that needs them, as Lambda's are."""
        import boto3  # noqa: PLC0415 - after the caller set up the emulator

        region, table = self.region, self.table

        def incidents() -> IncidentsApi:
            session, config = boto3.session.Session(), client_config()
            client_for = cache(
                lambda name: session.client("ssm-incidents", region_name=name, config=config)
            )
            return IncidentsApi(client_for, region)

        def records() -> Records:
            client = boto3.session.Session().client(
                "dynamodb", region_name=region, config=client_config()
            )
            return Records(table, client)

        return Runtime(
            incidents=cache(incidents),
            records=cache(records),
            continue_later=lambda event, context: self._continuations.append(event),
        )

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke the function with a CloudFormation event (and run the continuations it
        starts); the response CloudFormation got."""
        pending = [event]
        while pending:
            context = FakeContext(
                RealClock(),
                self.timeout_seconds,
                function_name=self.provider_stack,
                invoked_function_arn=self.service_token,
            )
            self._handler(pending.pop(0), cast(LambdaContext, context))
            pending += self._continuations
            self._continuations.clear()
        answers = self.endpoint.for_request(event["RequestId"])
        if not answers:
            return {
                "Status": "FAILED",
                "PhysicalResourceId": event.get("PhysicalResourceId", ""),
                "Reason": "The provider sent no response: CloudFormation would wait an hour",
            }
        return answers[-1]


def deploy(
    endpoint: ResponseEndpoint,
    region: str,
    provider_stack: str = PROVIDER_STACK,
    *,
    token: str | None = None,
    timeout_seconds: float = 900,
) -> Deployment:
    """Deploy the provider as the stack ``provider_stack`` in ``region``: its records table
    made as template.yaml makes it. Its responses go to ``endpoint``, whose origin must be
    among PROVIDER_RESPONSE_ORIGINS (:func:`provider_host` puts it there)."""
    import boto3  # noqa: PLC0415 - after the caller set up the emulator

    table = create_records_table(
        boto3.client("dynamodb", region_name=region), table_name(provider_stack)
    )
    return Deployment(
        provider_stack,
        region,
        token or service_token(region, provider_stack),
        table,
        endpoint,
        timeout_seconds,
    )


@contextmanager
def provider_host(
    endpoint: ResponseEndpoint,
    region: str = "us-east-1",
    timeout_seconds: float = 900,
    logs: TextIO | None = None,
) -> Iterator[Invoke]:
    """The process's provider (ServiceToken ``SERVICE_TOKEN``), as the function to invoke:
    its responses go to ``endpoint``, its continuations to a local queue, its log lines to
    ``logs`` (default: where they go now), its records to a table made as the provider stack
    makes it. While it runs, the process has the function's environment (AWS_REGION, the
    table's variable, the endpoint's origin); more deployments beside it: :func:`deploy`."""
    deployment = deploy(endpoint, region, token=SERVICE_TOKEN, timeout_seconds=timeout_seconds)
    lambda_environment = {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        TABLE_VARIABLE: deployment.table,
        "PROVIDER_RESPONSE_ORIGINS": endpoint.origin,
    }
    saved_environment = {name: os.environ.get(name) for name in lambda_environment}
    os.environ.update(lambda_environment)
    saved_stream = send_logs_to(logs) if logs else None
    settings.cache_clear()
    try:
        yield deployment.invoke
    finally:
        if saved_stream is not None:
            send_logs_to(saved_stream)
        for name, value in saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.cache_clear()
