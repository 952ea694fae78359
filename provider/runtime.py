"""The outside world of the handler: Incident Manager, Lambda, the clock. Nothing is built at
import: the first request that needs a client builds it."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from .incidents import IncidentsApi
from .settings import settings

Event = dict[str, Any]


@cache
def default_incidents() -> IncidentsApi:
    import boto3  # noqa: PLC0415 - built on the first request that needs it, not at import
    from botocore.config import Config  # noqa: PLC0415

    retries: Any = {"mode": "standard", "total_max_attempts": settings().max_attempts}
    config = Config(retries=retries, connect_timeout=5, read_timeout=10)
    return IncidentsApi(boto3.client("ssm-incidents", config=config))


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
    """The outside world the handler touches; tests and the local runner swap parts of it."""

    incidents: Callable[[], IncidentsApi] = default_incidents
    continue_later: Callable[[Event, LambdaContext], None] = invoke_self
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
