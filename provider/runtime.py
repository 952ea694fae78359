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
from .settings import settings

Event = dict[str, Any]


def home_region() -> str:
    """The Region the provider runs in: Lambda sets AWS_REGION (the stack's Region)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""


def _config() -> Any:
    from botocore.config import Config  # noqa: PLC0415 - built on first use, not at import

    retries: Any = {"mode": "standard", "total_max_attempts": settings().max_attempts}
    return Config(retries=retries, connect_timeout=5, read_timeout=10)


def incidents_from_environment() -> IncidentsApi:
    """Incident Manager through one client per Region, each built on first use."""
    import boto3  # noqa: PLC0415 - built on the first request that needs it, not at import

    session, config = boto3.session.Session(), _config()
    return IncidentsApi(
        cache(lambda region: session.client("ssm-incidents", region_name=region, config=config)),
        home_region(),
    )


def kms_from_environment() -> KmsApi:
    import boto3  # noqa: PLC0415

    session, config = boto3.session.Session(), _config()
    return KmsApi(cache(lambda region: session.client("kms", region_name=region, config=config)))


def invoke_self(event: Event, context: LambdaContext) -> None:
    """Continue the request in a new invocation of this function (asynchronous invoke).

    Chosen over crhelper's polling, which schedules an EventBridge rule every 1-2 minutes:
    a self-invoke continues at once, needs one permission on this function, and leaves no
    rule behind if anything fails.
    """
    import boto3  # noqa: PLC0415

    boto3.client("lambda").invoke(
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
    continue_later: Callable[[Event, LambdaContext], None] = invoke_self
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
