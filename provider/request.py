"""The CloudFormation request, read once: every field the provider uses, checked, frozen.

crhelper reads ``StackId``, ``RequestId``, ``ResponseURL``... without checking them and keeps
them on its one instance between invocations, so a malformed event could make it answer to the
previous request's URL. The event is therefore parsed here before crhelper sees it; a malformed
one raises :class:`MalformedEvent`, which still names what it can answer with.
"""

import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .spec import service_timeout

REQUEST_TYPES = ("Create", "Update", "Delete")
ALPHABET = string.ascii_uppercase + string.digits
REQUIRED = ("RequestType", "RequestId", "ResponseURL", "StackId", "LogicalResourceId")
#: Where a continuation names its step; all it needs to know is in the provider's records.
CONTINUATION = "ProviderContinuation"
#: The most steps (invocations) one request may take: far above what the deadline allows at
#: Lambda's 15 minutes (4), and a bound on any chain whatever the function's timeout.
MAX_STEPS = 120


@dataclass(frozen=True)
class Identity:
    """What every response names, from whatever the event carries."""

    stack_id: str
    request_id: str
    logical_id: str
    physical_id: str  # the event's; a made-up one when it has none (a Create)


@dataclass(frozen=True)
class Request:
    """One CloudFormation custom resource request, as the provider uses it."""

    request_type: str
    identity: Identity
    response_url: str
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any]
    step: int | None  # 0: CloudFormation's event; n: the n-th continuation; None: unreadable
    event: Mapping[str, Any]  # as received: a continuation carries it on

    @property
    def physical_id(self) -> str:
        """The event's PhysicalResourceId ("" for a Create)."""
        return str(self.event.get("PhysicalResourceId") or "")

    @property
    def stack_name(self) -> str:
        """arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/GUID -> NAME."""
        parts = self.identity.stack_id.split("/")
        return parts[1] if len(parts) >= 3 else self.identity.stack_id

    @property
    def service_timeout(self) -> int | None:
        return service_timeout(self.properties.get("ServiceTimeout"))

    @property
    def named_regions(self) -> tuple[str, ...]:
        """The Region names the properties (new, then old) list, read leniently: where to
        look for a set that the provider's own Region no longer sees."""
        found: list[str] = []
        for properties in (self.properties, self.old_properties):
            regions = properties.get("Regions")
            for item in regions if isinstance(regions, list) else []:
                name = item.get("RegionName") if isinstance(item, Mapping) else None
                if isinstance(name, str) and name not in found:
                    found.append(name)
        return tuple(found)


class MalformedEvent(Exception):
    """Not a CloudFormation custom resource request; says what is wrong, and to whom to say it."""

    def __init__(self, problems: list[str], event: Mapping[str, Any]) -> None:
        super().__init__("; ".join(problems))
        self.reason = "Malformed CloudFormation event: " + "; ".join(problems)
        self.response_url = _text(event, "ResponseURL")
        self.identity = _identity(event, fallback=_text(event, "RequestId") or "malformed-event")


def parse_request(event: object) -> Request:
    """The request in ``event``, or MalformedEvent naming each problem."""
    if not isinstance(event, Mapping):
        raise MalformedEvent([f"the event is {type(event).__name__}, not an object"], {})
    problems = [
        f"{name}: required, a non-empty string" for name in REQUIRED if not _text(event, name)
    ]
    request_type = _text(event, "RequestType")
    if request_type and request_type not in REQUEST_TYPES:
        problems.append(f"RequestType: expected Create, Update or Delete, got {request_type!r}")
    if request_type in ("Update", "Delete") and not isinstance(
        event.get("PhysicalResourceId"), str
    ):
        problems.append(f"PhysicalResourceId: required for {request_type}")
    if problems:
        raise MalformedEvent(problems, event)
    return Request(
        request_type=request_type,
        identity=_identity(event, fallback=_made_up_id(event)),
        response_url=_text(event, "ResponseURL"),
        properties=_mapping(event, "ResourceProperties"),
        old_properties=_mapping(event, "OldResourceProperties"),
        step=_step(event),
        event=event,
    )


def _text(event: Mapping[str, Any], name: str) -> str:
    value = event.get(name)
    return value if isinstance(value, str) else ""


def _mapping(event: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = event.get(name)
    return value if isinstance(value, Mapping) else {}


def _identity(event: Mapping[str, Any], fallback: str) -> Identity:
    return Identity(
        stack_id=_text(event, "StackId"),
        request_id=_text(event, "RequestId"),
        logical_id=_text(event, "LogicalResourceId"),
        physical_id=_text(event, "PhysicalResourceId") or fallback,
    )


def _made_up_id(event: Mapping[str, Any]) -> str:
    """An ID for a Create that failed before any set existed, shaped as crhelper makes it
    (STACK_LOGICALID_SUFFIX): no replication-set ARN, so the rollback's Delete calls nothing.
    The suffix comes from the RequestId, so a repeated delivery answers the same ID."""
    parts = _text(event, "StackId").split("/")
    stack = parts[1] if len(parts) >= 3 else "stack"
    digest = hashlib.sha256(_text(event, "RequestId").encode()).digest()
    suffix = "".join(ALPHABET[byte % len(ALPHABET)] for byte in digest[:8])
    return f"{stack}_{_text(event, 'LogicalResourceId')}_{suffix}"


def _step(event: Mapping[str, Any]) -> int | None:
    """The step a continuation names: 0 for CloudFormation's own event (it has none); None for
    anything else than a step number in range, which the provider never sends."""
    if CONTINUATION not in event:
        return 0
    carried = event[CONTINUATION]
    step = carried.get("Step") if isinstance(carried, Mapping) else None
    if type(step) is int and 1 <= step <= MAX_STEPS:
        return step
    return None
