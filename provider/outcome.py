"""What a request comes to, as a value, and the one response body CloudFormation receives.

Deciding (``provider.decide``) never touches crhelper or HTTP: it returns an outcome, and the
edge (``provider.app``) sends it once.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .request import Identity


@dataclass(frozen=True)
class Succeeded:
    physical_id: str
    data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    reason: str
    physical_id: str | None = None  # None: the request's own (or a made-up one for a Create)


@dataclass(frozen=True)
class HandedOff:
    """A new invocation carries the request on and will answer; this one sends nothing."""


Outcome = Succeeded | Failed | HandedOff


def response_body(identity: Identity, outcome: Succeeded | Failed) -> dict[str, Any]:
    """The response document, as CloudFormation's custom resource protocol defines it."""
    succeeded = isinstance(outcome, Succeeded)
    return {
        "Status": "SUCCESS" if succeeded else "FAILED",
        "Reason": "" if isinstance(outcome, Succeeded) else outcome.reason,
        "PhysicalResourceId": outcome.physical_id or identity.physical_id,
        "StackId": identity.stack_id,
        "RequestId": identity.request_id,
        "LogicalResourceId": identity.logical_id,
        "NoEcho": False,
        "Data": dict(outcome.data) if isinstance(outcome, Succeeded) else {},
    }
