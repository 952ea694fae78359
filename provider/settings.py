"""Configuration by environment variables, each with a documented default.

- ``PROVIDER_DEADLINE_SECONDS`` (3300): answer FAILED rather than wait longer; CloudFormation
  itself waits 3600 s, or the resource's ``ServiceTimeout``, which shortens this too.
- ``PROVIDER_HANDOFF_SECONDS`` (30): continue in a new invocation when this much Lambda time
  is left.
- ``PROVIDER_POLL_SECONDS`` (1) and ``PROVIDER_POLL_MAX_SECONDS`` (5): the first and the
  longest wait between status reads (each wait is 1.5 times the last).
- ``PROVIDER_MAX_ATTEMPTS`` (3): botocore standard-mode attempts per call, the first included;
  fewer when that many would not fit the hand-off reserve (``call_seconds``). A call still
  throttled after them (a read: or still failing with a 5xx, or unreachable) is made again
  until the request's deadline (``provider.waiting``): this bounds one call, not the request.
- ``PROVIDER_RESPONSE_ATTEMPTS`` (4): tries to deliver the response to CloudFormation; fewer
  when that many would not fit the hand-off reserve (``response_seconds``).
- ``PROVIDER_IDEMPOTENCY_TABLE`` (none; template.yaml sets it): the DynamoDB table of the
  provider's records (``provider.records``). Without it every request is answered FAILED.
- ``PROVIDER_RESPONSE_ORIGINS`` (none): extra response URL origins, comma separated, such as
  ``http://127.0.0.1:8080`` for the local runner and tests.

A number that cannot be read (not a number, negative, ``inf``, ``nan``) leaves its default.
"""

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

#: Powertools service name of every log line (POWERTOOLS_SERVICE_NAME).
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "incident-replication-set-provider"


#: Every AWS call: seconds to connect and to wait for each read (botocore's defaults are 60 s,
#: which would let one call outlast the hand-off reserve).
CONNECT_SECONDS = 2.0
READ_SECONDS = 5.0
#: Each try to deliver the response: seconds before giving up on it.
RESPONSE_TIMEOUT_SECONDS = 5.0


def call_seconds(attempts: int) -> float:
    """The longest one AWS call can take: every attempt timing out, with botocore's
    standard-mode backoff (at most 2**(n-1) s after the n-th attempt) in between."""
    return attempts * (CONNECT_SECONDS + READ_SECONDS) + sum(2.0**n for n in range(attempts - 1))


def response_seconds(attempts: int) -> float:
    """The longest the response delivery can take (``provider.responder.send``'s backoff)."""
    return attempts * RESPONSE_TIMEOUT_SECONDS + sum(min(2.0**n, 8.0) for n in range(attempts - 1))


def _fitting(wanted: int, seconds: Callable[[int], float], reserve: float) -> int:
    """The most attempts, up to ``wanted`` and at least one, whose worst case fits ``reserve``."""
    return max([1] + [n for n in range(1, wanted + 1) if seconds(n) <= reserve])


@dataclass(frozen=True)
class Settings:
    deadline_seconds: float
    handoff_seconds: float
    poll_seconds: float
    poll_max_seconds: float
    max_attempts: int
    response_attempts: int
    response_origins: tuple[str, ...]
    idempotency_table: str


def _number(name: str, default: float) -> float:
    """The variable as a number; ``default`` when it is unset, or not a finite number of at
    least 0 (``inf`` or ``nan`` would stop every request, the response included)."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) and value >= 0 else default


@cache
def settings() -> Settings:
    """Read once per container; tests clear the cache after changing the environment."""
    origins = os.environ.get("PROVIDER_RESPONSE_ORIGINS", "")
    handoff = _number("PROVIDER_HANDOFF_SECONDS", 30)
    return Settings(
        deadline_seconds=_number("PROVIDER_DEADLINE_SECONDS", 3300),
        handoff_seconds=handoff,
        poll_seconds=_number("PROVIDER_POLL_SECONDS", 1),
        poll_max_seconds=_number("PROVIDER_POLL_MAX_SECONDS", 5),
        max_attempts=_fitting(int(_number("PROVIDER_MAX_ATTEMPTS", 3)), call_seconds, handoff),
        response_attempts=_fitting(
            int(_number("PROVIDER_RESPONSE_ATTEMPTS", 4)), response_seconds, handoff
        ),
        response_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
        idempotency_table=os.environ.get("PROVIDER_IDEMPOTENCY_TABLE", "").strip(),
    )
