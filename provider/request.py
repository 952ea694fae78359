"""The CloudFormation request, read once: every field the provider uses, checked, frozen.

crhelper reads ``StackId``, ``RequestId``, ``ResponseURL``... without checking them and keeps
them on its one instance between invocations, so a malformed event could make it answer to the
previous request's URL. The event is therefore parsed here before crhelper sees it; a malformed
one raises :class:`MalformedEvent`, which still names what it can answer with.
"""

import hashlib
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .outcome import Identity
from .responder import json_prefix
from .response_url import MAX_URL_LENGTH
from .spec import service_timeout

REQUEST_TYPES = ("Create", "Update", "Delete")
ALPHABET = string.ascii_uppercase + string.digits
REQUIRED = (
    "RequestType",
    "RequestId",
    "ResponseURL",
    "StackId",
    "LogicalResourceId",
    "ResourceType",
)
#: The keys crhelper 2.0.x dispatches on or copies from the event (its polling: CrHelperPoll
#: selects its poll functions, CrHelperData becomes the answer's Data, CrHelperRule and
#: CrHelperPermission name what it removes). CloudFormation never sends them, and this provider
#: does not poll: an event carrying one is forged, and crhelper never sees it.
CRHELPER_KEYS = ("CrHelperPoll", "CrHelperData", "CrHelperRule", "CrHelperPermission")
#: Where a continuation names its step; all it needs to know is in the provider's records.
CONTINUATION = "ProviderContinuation"
#: The most steps (invocations) one request may take: far above what the deadline allows at
#: Lambda's 15 minutes (4), and a bound on any chain whatever the function's timeout.
MAX_STEPS = 120
#: Regions read from each of the properties as hints (a set has at most 3).
MAX_HINTS = 10


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
        found: dict[str, None] = {}
        for properties in (self.properties, self.old_properties):
            regions = properties.get("Regions")
            for item in regions[:MAX_HINTS] if isinstance(regions, list) else []:
                name = item.get("RegionName") if isinstance(item, Mapping) else None
                if isinstance(name, str) and len(name) <= 20:
                    found[name] = None
        return tuple(found)


class MalformedEvent(Exception):
    """Not a CloudFormation custom resource request; says what is wrong, and to whom to say it."""

    def __init__(self, problems: list[str], event: Mapping[str, Any]) -> None:
        super().__init__("; ".join(problems))
        self.reason = "Malformed CloudFormation event: " + "; ".join(problems)
        self.response_url = _text(event, "ResponseURL")
        found = _identity(event, fallback=_text(event, "RequestId") or "malformed-event")
        self.identity = Identity(  # within what the answer's 4 KB can hold, and printable
            stack_id=_answerable(found.stack_id, 1024),
            request_id=_answerable(found.request_id, 128),
            logical_id=_answerable(found.logical_id, 255),
            physical_id=_answerable(found.physical_id, MAX_PHYSICAL_ID),
        )


def parse_request(event: object, account: "Account | None" = None) -> Request:
    """The request in ``event``, or MalformedEvent naming each problem. ``account`` is the
    function's own (partition and account ID): a StackId of another is refused."""
    if not isinstance(event, Mapping):
        raise MalformedEvent([f"the event is {type(event).__name__}, not an object"], {})
    problems = [
        f"{name}: required, a non-empty string" for name in REQUIRED if not _text(event, name)
    ]
    problems += [
        f"{name}: not a field of CloudFormation's requests (crhelper's polling, unused here)"
        for name in CRHELPER_KEYS
        if name in event
    ]
    for name, rule in IDENTITY_RULES.items():
        value = _text(event, name)
        if value and not rule.holds(value):
            problems.append(f"{name}: {rule.description}, got {_shown(value)}")
    request_type = _text(event, "RequestType")
    if request_type and request_type not in REQUEST_TYPES:
        problems.append(
            f"RequestType: expected Create, Update or Delete, got {_shown(request_type)}"
        )
    physical_id = _text(event, "PhysicalResourceId")
    if request_type in ("Update", "Delete") and not PHYSICAL_ID.holds(physical_id):
        problems.append(
            f"PhysicalResourceId: required for {request_type}, {PHYSICAL_ID.description}"
        )
    elif physical_id and not PHYSICAL_ID.holds(physical_id):  # a Create's is answered back
        problems.append(f"PhysicalResourceId: {PHYSICAL_ID.description}")
    stack = STACK_ARN.fullmatch(_text(event, "StackId")[: IDENTITY_RULES["StackId"].longest])
    if stack and account and (stack["partition"], stack["account"]) != account:
        problems.append(
            f"StackId: a stack of account {account[1]} ({account[0]}), the provider's, got "
            f"{_shown(stack['account'])} ({_shown(stack['partition'])})"
        )
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


Account = tuple[str, str]  # (partition, account ID)


def function_account(function_arn: object) -> Account | None:
    """The partition and account of the function's own ARN (the Lambda context's)."""
    parts = function_arn.split(":") if isinstance(function_arn, str) else []
    if len(parts) >= 5 and parts[0] == "arn" and parts[4].isdigit() and len(parts[4]) == 12:
        return parts[1], parts[4]
    return None


@dataclass(frozen=True)
class Rule:
    """A field's shape: at most ``longest`` characters, then ``pattern`` matched whole (only
    single character classes: linear, whatever the input)."""

    longest: int
    pattern: re.Pattern[str]
    description: str

    def holds(self, value: str) -> bool:
        return len(value) <= self.longest and bool(self.pattern.fullmatch(value))


#: What CloudFormation sends (its user guide: custom resource request fields; logical IDs are
#: alphanumeric, at most 255; custom resource types "Custom::" and up to 60 characters of
#: A-Za-z0-9_@-; RequestIds are UUIDs). A forged event that breaks these is malformed.
IDENTITY_RULES = {
    "RequestId": Rule(128, re.compile(r"[A-Za-z0-9-]+"), "1 to 128 of A-Z a-z 0-9 -"),
    "StackId": Rule(
        1024,
        re.compile(
            r"arn:[a-z-]+:cloudformation:[a-z0-9-]+:[0-9]{12}:stack/[A-Za-z0-9-]+/[a-z0-9-]+"
        ),
        "a CloudFormation stack ARN",
    ),
    "LogicalResourceId": Rule(255, re.compile(r"[A-Za-z0-9]+"), "1 to 255 of A-Z a-z 0-9"),
    "ResourceType": Rule(
        68,
        re.compile(r"Custom::[A-Za-z0-9_@-]{1,60}|AWS::CloudFormation::CustomResource"),
        "Custom::NAME (up to 60 of A-Z a-z 0-9 _ @ -) or AWS::CloudFormation::CustomResource",
    ),
    "ResponseURL": Rule(
        MAX_URL_LENGTH,
        re.compile(r"https?://[^\s]+"),
        f"a URL of at most {MAX_URL_LENGTH} characters",
    ),
}
STACK_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):cloudformation:[a-z0-9-]+:(?P<account>[0-9]{12}):stack/.+"
)
MAX_PHYSICAL_ID = 1024
#: What this provider answers as a physical ID: an ARN or a made-up ID, printable ASCII.
PHYSICAL_ID = Rule(
    MAX_PHYSICAL_ID, re.compile(r"[!-~]+"), f"1 to {MAX_PHYSICAL_ID} printable ASCII characters"
)


def loggable(value: object, longest: int = 256) -> str:
    """A field as a log line or a malformed event's answer may carry it: text, cut to
    ``longest``, in ASCII (anything else escaped, a lone surrogate included)."""
    text = value if isinstance(value, str) else ""
    return text[:longest].encode("ascii", "backslashreplace").decode("ascii")[:longest]


def _answerable(value: str, longest: int) -> str:
    """A malformed event's field as its answer names it: ``loggable``, and at most ``longest``
    bytes once JSON writes it (a quote or a backslash takes 2, a control character 6), so that
    the answer stays within CloudFormation's 4 KB whatever the field holds."""
    return json_prefix(loggable(value, longest), longest)


def _shown(value: str, longest: int = 64) -> str:
    """A value for a message: cut short, and ASCII (a lone surrogate cannot break a log)."""
    cut = value if len(value) <= longest else value[:longest] + "..."
    return ascii(cut)


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
