"""Configuration by environment variables, each with a documented default.

- ``PROVIDER_DEADLINE_SECONDS`` (3300): answer FAILED rather than wait longer; CloudFormation
  itself waits 3600 s, or the resource's ``ServiceTimeout``, which shortens this too.
- ``PROVIDER_HANDOFF_SECONDS`` (30): continue in a new invocation when this much Lambda time
  is left.
- ``PROVIDER_POLL_SECONDS`` (1) and ``PROVIDER_POLL_MAX_SECONDS`` (5): the first and the
  longest wait between status reads (each wait is 1.5 times the last).
- ``PROVIDER_MAX_ATTEMPTS`` (5): botocore standard-mode attempts per call, the first included.
- ``PROVIDER_RESPONSE_ATTEMPTS`` (5): tries to deliver the response to CloudFormation.
- ``PROVIDER_RESPONSE_ORIGINS`` (none): extra response URL origins, comma separated, such as
  ``http://127.0.0.1:8080`` for the local runner and tests.
"""

import os
from dataclasses import dataclass
from functools import cache

#: Powertools service name of every log line (POWERTOOLS_SERVICE_NAME).
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "incident-replication-set-provider"


@dataclass(frozen=True)
class Settings:
    deadline_seconds: float
    handoff_seconds: float
    poll_seconds: float
    poll_max_seconds: float
    max_attempts: int
    response_attempts: int
    response_origins: tuple[str, ...]


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


@cache
def settings() -> Settings:
    """Read once per container; tests clear the cache after changing the environment."""
    origins = os.environ.get("PROVIDER_RESPONSE_ORIGINS", "")
    return Settings(
        deadline_seconds=_number("PROVIDER_DEADLINE_SECONDS", 3300),
        handoff_seconds=_number("PROVIDER_HANDOFF_SECONDS", 30),
        poll_seconds=_number("PROVIDER_POLL_SECONDS", 1),
        poll_max_seconds=_number("PROVIDER_POLL_MAX_SECONDS", 5),
        max_attempts=int(_number("PROVIDER_MAX_ATTEMPTS", 5)),
        response_attempts=int(_number("PROVIDER_RESPONSE_ATTEMPTS", 5)),
        response_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
    )
