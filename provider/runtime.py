"""The outside world of the handler: Incident Manager, Lambda, the clock. Nothing is built at
import: the first request that needs a client builds it, and only for a Region that exists."""

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from .errors import InvalidProperties
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


class RegionalClients:
    """One ``service`` client per Region, built on first use, and only for the function's own
    Region or one that botocore's endpoint data lists for ``service`` in the function's
    partition (read on the first client for another Region, not at import).

    Region names come from events (the properties' Regions, their keys', the old properties'):
    a cache keyed by them would keep a client (about 0.4 MiB) per made-up name, so 150 forged
    Creates would leave 150 clients. Bounded by the Regions that exist, a made-up one gets
    InvalidProperties naming it instead, before any call.

        clients = RegionalClients(boto3.session.Session(), "kms", "us-east-1")
        clients("eu-west-1")  # a client, built once
        clients("xx-nowhere-1")  # InvalidProperties: "Regions: xx-nowhere-1 is not a Region..."
    """

    def __init__(self, session: Any, service: str, home: str, config: Any = None) -> None:
        self.service, self.home = service, home
        self._session, self._config = session, config
        self._clients: dict[str, Any] = {}
        self._known: frozenset[str] | None = None

    def __call__(self, region: str) -> Any:
        client = self._clients.get(region)
        if client is None:
            self._check(region)
            built = self._session.client(self.service, region_name=region, config=self._config)
            client = self._clients.setdefault(region, built)
        return client

    @property
    def regions(self) -> tuple[str, ...]:
        """The Regions a client has been built for."""
        return tuple(self._clients)

    def _check(self, region: str) -> None:
        if region == self.home:  # Lambda's AWS_REGION: no lookup on the usual first client
            return
        if self._known is None:
            self._known = frozenset(
                self._session.get_available_regions(self.service, partition_name=self.partition)
            )
        if region not in self._known:
            shown = region if region.isascii() and region.isprintable() else ascii(region)
            raise InvalidProperties(
                f"Regions: {shown[:64]} is not a Region where Incident Manager answers: "
                f"botocore's endpoint data lists no {self.service} endpoint of that name in the "
                f"{self.partition} partition, the provider's, so nothing was called there"
            )

    @property
    def partition(self) -> str:
        """The function's partition, as botocore places its Region (aws when it cannot)."""
        from botocore.exceptions import UnknownRegionError  # noqa: PLC0415

        try:
            return str(self._session.get_partition_for_region(self.home)) if self.home else "aws"
        except UnknownRegionError:
            return "aws"


@cache
def session() -> Any:
    """The one boto3 session of the container, built on the first request that needs a client.
    Every client comes from it: a session reads botocore's endpoint and partition data once,
    and a second one would read it again (about 100 ms of a cold start: ``make bench``)."""
    import boto3  # noqa: PLC0415 - built on the first request that needs it, not at import

    return boto3.session.Session()


def incidents_from_environment() -> IncidentsApi:
    """Incident Manager through one client per Region, each built on first use."""
    home = home_region()
    return IncidentsApi(RegionalClients(session(), "ssm-incidents", home, client_config()), home)


def kms_from_environment() -> KmsApi:
    return KmsApi(RegionalClients(session(), "kms", home_region(), client_config()))


def records_from_environment() -> Records:
    """The records table PROVIDER_IDEMPOTENCY_TABLE names, in the provider's Region."""
    table = settings().idempotency_table
    if not table:
        raise RecordsUnavailable(
            "PROVIDER_IDEMPOTENCY_TABLE is not set on the provider function, so it cannot tell "
            "a repeated delivery from a new request; nothing was changed. Deploy the provider "
            "with its template.yaml, which creates the table and sets the variable."
        )
    client = session().client("dynamodb", region_name=home_region() or None, config=client_config())
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
