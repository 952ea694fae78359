"""What a request comes to, as a value, and the one response body CloudFormation receives.

A step (``provider.app``) comes to an outcome without touching crhelper or HTTP, and the edge
delivers it once. The outcome is also what the step's record stores (``to_json`` and
``from_json``, the one conversion): the answer, or what the next step needs to carry on.
"""

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Identity:
    """What every response names, from whatever the event carries."""

    stack_id: str
    request_id: str
    logical_id: str
    physical_id: str  # the event's; a made-up one when it has none (a Create)


@dataclass(frozen=True)
class Succeeded:
    physical_id: str
    data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    reason: str
    physical_id: str | None = None  # None: the request's own (or a made-up one for a Create)


@dataclass(frozen=True)
class Carried:
    """What the next step of a request needs, kept in the records (never taken from the event):
    the request's deadline, how many steps came before, the ARN it created, whose it is."""

    deadline: float
    step: int  # the step that will carry on
    created: str | None
    stack_id: str
    logical_id: str
    #: The request already failed (crhelper's timer, with no time left to delete the set it
    #: created): the next step only finishes the failure path, then answers.
    failing: str | None = None
    #: sha256 of CloudFormation's event: a continuation must carry that very event on.
    event_digest: str = ""
    #: The set a Create was adopting (``provider.progress.Made.adopting``).
    adopting: str | None = None


@dataclass(frozen=True)
class HandedOff:
    """A new invocation carries the request on and will answer; this one sends nothing."""

    carried: Carried


Outcome = Succeeded | Failed | HandedOff
Answer = Succeeded | Failed


def response_body(identity: Identity, outcome: Answer) -> dict[str, Any]:
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


# -- a step's record: the one conversion between an outcome and what the records store -------


def to_json(outcome: Outcome) -> dict[str, Any]:
    """What the records store of a step's outcome (``from_json`` reads it back)."""
    match outcome:
        case Succeeded(physical_id, data):
            return {"succeeded": {"physical_id": physical_id, "data": dict(data)}}
        case Failed(reason, physical_id):
            return {"failed": {"reason": reason, "physical_id": physical_id}}
        case HandedOff(carried):
            return {"handed_off": asdict(carried)}


def from_json(stored: object) -> Outcome | None:
    """The outcome a step's record holds; None for anything ``to_json`` does not write (a
    record is read back only as what it claims to be, never half-way)."""
    if not isinstance(stored, dict) or len(stored) != 1:
        return None
    ((kind, fields),) = stored.items()
    read = _READERS.get(kind)
    if read is None or not isinstance(fields, dict):
        return None
    try:
        return read(fields)
    except (KeyError, TypeError, ValueError):
        return None


def _succeeded(fields: dict[str, Any]) -> Succeeded:
    data = fields["data"]
    if not isinstance(data, dict):
        raise TypeError("data")
    return Succeeded(_required(fields, "physical_id"), {str(k): str(v) for k, v in data.items()})


def _failed(fields: dict[str, Any]) -> Failed:
    return Failed(_required(fields, "reason"), _text(fields, "physical_id"))


def _handed_off(fields: dict[str, Any]) -> HandedOff:
    return HandedOff(
        Carried(
            deadline=float(fields["deadline"]),
            step=int(fields["step"]),
            created=_text(fields, "created"),
            stack_id=_required(fields, "stack_id"),
            logical_id=_required(fields, "logical_id"),
            failing=_text(fields, "failing"),
            event_digest=_required(fields, "event_digest"),
            adopting=_text(fields, "adopting"),
        )
    )


_READERS: dict[str, Callable[[dict[str, Any]], Outcome]] = {
    "succeeded": _succeeded,
    "failed": _failed,
    "handed_off": _handed_off,
}


def _text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise TypeError(name)
    return value or None


def _required(fields: dict[str, Any], name: str) -> str:
    value = fields[name]
    if not isinstance(value, str):
        raise TypeError(name)
    return value
