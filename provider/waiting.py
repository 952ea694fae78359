"""How the provider waits within a request's time (:class:`Budget`): polling the set's status
until a change ends, and waiting out what passes (throttling, and for reads the service's 5xx
and lost connections).

The overall deadline (carried across invocations) ends the request with a clear FAILED; the
Lambda's remaining time only ends this invocation: :class:`~provider.errors.Handoff` asks the
edge to continue in a new one.

**Named waits**, as Terraform's waiters are: each waits for one change of the set's status, on
one poller (:func:`wait_for`), reading through a Region of the set; they need only something
that reads a status (:class:`StatusReader`: ``provider.incidents.IncidentsApi``).

**Waiting out what passes.** botocore's standard retry mode retries these
``PROVIDER_MAX_ATTEMPTS`` times per call, few enough that one call fits the hand-off reserve. A
longer burst would end the request FAILED although it has up to 55 minutes, and CloudFormation
never retries a custom resource (the native ``AWS::SSMIncidents`` handlers retry throttling
until their own timeout). So, within a request's budget, a call that still fails that way is
made again after 1, 2, 4... up to 20 s, jittered so that requests throttled together do not come
back together; when the invocation's time runs short, Handoff (the next invocation carries on,
re-reading the set), and when the deadline would pass, one ServiceFailure that says so.
Mutating calls are made again only when throttled: the service refused them before acting.
After a 5xx a change may have been applied; botocore's own attempts already cover the common
blip, and what remains fails the request, which the next stack operation reconciles from the
live set.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from .errors import DeadlineExceeded, Handoff, ServiceFailure, SetFailed
from .live import LiveReplicationSet
from .settings import SERVICE

log = Logger(service=SERVICE, child=True)
T = TypeVar("T")


# -- the budget, and polling within it -------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """How long this request, and this invocation, may still wait."""

    deadline: float  # epoch seconds: answer FAILED rather than wait past this
    remaining_ms: Callable[[], int]  # the Lambda context's remaining time
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    reserve_seconds: float = 30.0  # hand off while this much invocation time is left
    first_delay: float = 1.0
    max_delay: float = 5.0

    def before_call(self) -> None:
        """Hand off rather than start a call that might outlast this invocation (one call,
        retries included, fits the reserve: ``provider.settings.call_seconds``)."""
        if self.remaining_ms() / 1000 < self.reserve_seconds:
            raise Handoff


def wait_for(
    read: Callable[[], T],
    done: Callable[[T], bool],
    budget: Budget,
    describe: Callable[[T], str],
) -> T:
    """Poll ``read`` until ``done``; DeadlineExceeded or Handoff when time runs short."""
    delay = budget.first_delay
    while True:
        value = read()
        if done(value):
            return value
        if budget.clock() + delay > budget.deadline:
            raise DeadlineExceeded(
                f"{describe(value)} when the provider's deadline passed "
                "(PROVIDER_DEADLINE_SECONDS, or the resource's ServiceTimeout); "
                "it may still finish: check it with 'aws ssm-incidents get-replication-set'"
            )
        if budget.remaining_ms() / 1000 - delay < budget.reserve_seconds:
            raise Handoff
        budget.sleep(delay)
        delay = min(delay * 1.5, budget.max_delay)


# -- named waits on the set's status ---------------------------------------------------------


class StatusReader(Protocol):
    """What the named waits read: the set's status through a Region, None once it is gone."""

    def status(self, arn: str, region: str) -> LiveReplicationSet | None: ...


def wait_settled(
    api: StatusReader, arn: str, region: str, budget: Budget
) -> LiveReplicationSet | None:
    """The set once ACTIVE or FAILED (a FAILED set can still be deleted); None once gone."""
    return wait_for(
        lambda: api.status(arn, region),
        lambda found: found is None or found.settled,
        budget,
        lambda found: _still(arn, found),
    )


def wait_active(
    api: StatusReader, arn: str, region: str, budget: Budget
) -> LiveReplicationSet | None:
    """The set once ACTIVE; None once gone; SetFailed when it ends FAILED."""
    live = wait_settled(api, arn, region, budget)
    if live is not None and live.status == "FAILED":
        raise SetFailed(live.failure_summary())
    return live


def wait_gone(api: StatusReader, arn: str, region: str, budget: Budget) -> None:
    """Return once ``region`` no longer sees the set (it was deleted)."""
    wait_for(
        lambda: api.status(arn, region),
        lambda now: now is None,
        budget,
        lambda now: _still(arn, now),
    )


def _still(arn: str, found: LiveReplicationSet | None) -> str:
    return f"replication set {arn} was still {found.status if found else 'gone'}"


# -- waiting out what passes -----------------------------------------------------------------


#: The first wait after a call failed for good in botocore's eyes, and the longest (botocore's
#: own cap on its backoff, ``botocore.retries.standard.ExponentialBackoff``, is 20 s too).
FIRST_DELAY = 1.0
MAX_DELAY = 20.0

#: Codes that mean "too many requests": nothing was done (botocore/retries/standard.py,
#: ThrottledRetryableChecker._THROTTLED_ERROR_CODES; Incident Manager and KMS answer
#: ThrottlingException). A test compares the two lists.
THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
#: A service failing for now (botocore/retries/standard.py, TransientRetryableChecker): these
#: codes, these HTTP statuses, and the connection errors below.
TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
LOST_CONNECTION = (ConnectionError, HTTPClientError)


def passing(error: Exception, *, mutating: bool) -> str | None:
    """How ``error`` is passing ("throttled" or "unavailable"), when waiting can fix it for a
    call of this kind; None when it cannot (the request ends with it)."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in THROTTLING:
            return "throttled"
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if not mutating and (code in TRANSIENT_CODES or status in TRANSIENT_STATUSES):
            return "unavailable"
    elif isinstance(error, LOST_CONNECTION) and not mutating:
        return "unavailable"
    return None


def patiently(
    call: Callable[[], T],
    budget: Budget | None,
    *,
    operation: str,
    service: str,
    mutating: bool,
) -> T:
    """``call()``, made again while it fails in a way that passes (:func:`passing`), within
    ``budget``; without a budget, made once (botocore's attempts only).

    >>> patiently(lambda: 42, None, operation="GetReplicationSet",
    ...           service="Incident Manager", mutating=False)
    42
    """
    if budget is None:
        return call()
    delay, tries, since = FIRST_DELAY, 0, budget.clock()
    while True:
        tries += 1
        try:
            return call()
        except (ClientError, BotoCoreError) as error:
            how = passing(error, mutating=mutating)
            if how is None:
                raise
            wait = jittered(delay)
            if budget.clock() + wait > budget.deadline:
                seconds = budget.clock() - since
                raise _gave_up(
                    error, how, operation=operation, service=service, tries=tries, seconds=seconds
                ) from error
            if budget.remaining_ms() / 1000 - wait < budget.reserve_seconds:
                raise Handoff from error  # the next invocation makes the call again
            log.info(
                f"{operation} {how}: trying again",
                extra={"operation": operation, "error": str(error), "wait": round(wait, 1)},
            )
            budget.sleep(wait)
            delay = min(delay * 2, MAX_DELAY)


def jittered(delay: float) -> float:
    """Between half and all of ``delay``: requests throttled together spread out, and each
    still waits long enough for the burst to pass."""
    return delay * random.uniform(0.5, 1.0)


def _gave_up(
    error: Exception, how: str, *, operation: str, service: str, tries: int, seconds: float
) -> ServiceFailure:
    """The Reason at the deadline: the call, what kept happening, for how long, what to do
    (the tries and seconds are this invocation's: an earlier one may have tried before)."""
    code = None
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", "Unknown"))
        message = error.response.get("Error", {}).get("Message", "")
        what = f"{code}: {message}" if message else code
    else:
        what = str(error)
    advice = (
        f"retry the stack operation once fewer calls are made to {service} in this account "
        "(another tool may be calling it in a loop), or ask AWS for a higher request quota"
        if how == "throttled"
        else f"retry the stack operation once {service} answers again (the AWS Health "
        "Dashboard shows service events)"
    )
    happened = (
        f"{service} throttled {operation}"
        if how == "throttled"
        else f"{service} was unavailable for {operation}"
    )
    return ServiceFailure(
        f"{happened} ({what}) until the provider's deadline (PROVIDER_DEADLINE_SECONDS, or the "
        f"resource's ServiceTimeout): each of its last {tries} tries, over {seconds:.0f} s; "
        f"{advice}",
        code=code,
    )
