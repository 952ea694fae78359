"""The outside world of the handler: Incident Manager, Lambda, the clock. Nothing is built at
import: the first request that needs a client builds it."""

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from .incidents import IncidentsApi
from .kms import KmsApi
from .records import Records, RecordsUnavailable
from .settings import CONNECT_SECONDS, READ_SECONDS, settings

Event = dict[str, Any]


def home_region() -> str:
    """The Region the provider runs in: Lambda sets AWS_REGION (the stack's Region)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""


def client_config() -> Any:
    """Every client's: bounded so that one call, retries included, fits the hand-off reserve
    (``provider.settings.call_seconds``)."""
    from botocore.config import Config  # noqa: PLC0415 - built on first use, not at import

    retries: Any = {"mode": "standard", "total_max_attempts": settings().max_attempts}
    return Config(retries=retries, connect_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS)


def incidents_from_environment() -> IncidentsApi:
    """Incident Manager through one client per Region, each built on first use."""
    import boto3  # noqa: PLC0415 - built on the first request that needs it, not at import

    session, config = boto3.session.Session(), client_config()
    return IncidentsApi(
        cache(lambda region: session.client("ssm-incidents", region_name=region, config=config)),
        home_region(),
    )


def kms_from_environment() -> KmsApi:
    import boto3  # noqa: PLC0415

    session, config = boto3.session.Session(), client_config()
    return KmsApi(cache(lambda region: session.client("kms", region_name=region, config=config)))


def records_from_environment() -> Records:
    """The records table PROVIDER_IDEMPOTENCY_TABLE names, in the provider's Region."""
    import boto3  # noqa: PLC0415

    table = settings().idempotency_table
    if not table:
        raise RecordsUnavailable(
            "PROVIDER_IDEMPOTENCY_TABLE is not set on the provider function, so it cannot tell "
            "a repeated delivery from a new request; nothing was changed. Deploy the provider "
            "with its template.yaml, which creates the table and sets the variable."
        )
    client = boto3.session.Session().client(
        "dynamodb", region_name=home_region() or None, config=client_config()
    )
    return Records(table, client)


def invoke_self(event: Event, context: LambdaContext) -> None:
    """Continue the request in a new invocation of this function (asynchronous invoke).

    Chosen over crhelper's polling, which schedules an EventBridge rule every 1-2 minutes:
    a self-invoke continues at once, needs one permission on this function, and leaves no
    rule behind if anything fails.
    """
    import boto3  # noqa: PLC0415

    boto3.client("lambda", config=client_config()).invoke(
        FunctionName=context.invoked_function_arn,
        InvocationType="Event",
        Payload=json.dumps(event).encode(),
    )


@dataclass
class Runtime:
    """The outside world the handler touches. ``provider.app.make_handler`` builds a handler
    from one; tests, the local runner and the benchmarks build theirs with parts replaced.
    Clients are built on the first request that needs them, once per runtime."""

    incidents: Callable[[], IncidentsApi] = field(
        default_factory=lambda: cache(incidents_from_environment)
    )
    kms: Callable[[], KmsApi] = field(default_factory=lambda: cache(kms_from_environment))
    records: Callable[[], Records] = field(default_factory=lambda: cache(records_from_environment))
    continue_later: Callable[[Event, LambdaContext], None] = invoke_self
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
