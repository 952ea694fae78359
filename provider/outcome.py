"""What a request comes to, as a value, and the one response body CloudFormation receives.

Deciding (``provider.decide``) never touches crhelper or HTTP: it returns an outcome, and the
edge (``provider.app``) sends it once. The outcome is also what the step's record stores
(``to_record``): the body that was sent, or what the next step needs to carry on.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
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
    #: The set a Create was adopting (``provider.lifecycle.Progress.adopting``).
    adopting: str | None = None


@dataclass(frozen=True)
class HandedOff:
    """A new invocation carries the request on and will answer; this one sends nothing."""

    carried: Carried


Outcome = Succeeded | Failed | HandedOff
Answer = Succeeded | Failed
#: The record of a step: {"answer": the body sent} or {"handed_off": Carried's fields}.
Record = dict[str, Any]


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


def to_record(identity: Identity, outcome: Outcome) -> Record:
    if isinstance(outcome, HandedOff):
        return {"handed_off": asdict(outcome.carried)}
    return {"answer": response_body(identity, outcome)}


def carried_in(record: Record | None) -> Carried | None:
    """The state a handed-off step left for the next one; None for anything else."""
    fields = record.get("handed_off") if isinstance(record, dict) else None
    if not isinstance(fields, dict):
        return None
    try:
        return Carried(
            deadline=float(fields["deadline"]),
            step=int(fields["step"]),
            created=str(fields["created"]) if fields.get("created") else None,
            stack_id=str(fields["stack_id"]),
            logical_id=str(fields["logical_id"]),
            failing=str(fields["failing"]) if fields.get("failing") else None,
            event_digest=str(fields.get("event_digest", "")),
            adopting=str(fields["adopting"]) if fields.get("adopting") else None,
        )
    except (KeyError, TypeError, ValueError):
        return None
