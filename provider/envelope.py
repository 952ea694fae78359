"""The event's envelope, checked before crhelper sees it.

crhelper reads ``StackId``, ``RequestId``, ``ResponseURL``... without checking them, and keeps
them on its one instance between invocations: a malformed event could make it answer FAILED to
the previous request's URL, or raise before answering at all. Here a malformed event gets one
FAILED response naming what is wrong when it carries a ResponseURL, and a log line when not.
"""

from collections.abc import Mapping
from typing import Any

REQUEST_TYPES = ("Create", "Update", "Delete")
REQUIRED = ("RequestType", "RequestId", "ResponseURL", "StackId", "LogicalResourceId")


def problems(event: object) -> list[str]:
    """What makes ``event`` something other than a CloudFormation custom resource request."""
    if not isinstance(event, Mapping):
        return [f"the event is {type(event).__name__}, not an object"]
    found = [
        f"{name}: required, a non-empty string"
        for name in REQUIRED
        if not isinstance(event.get(name), str) or not event.get(name)
    ]
    request_type = event.get("RequestType")
    if isinstance(request_type, str) and request_type and request_type not in REQUEST_TYPES:
        found.append(f"RequestType: expected Create, Update or Delete, got {request_type!r}")
    if request_type in ("Update", "Delete") and not isinstance(
        event.get("PhysicalResourceId"), str
    ):
        found.append(f"PhysicalResourceId: required for {request_type}")
    return found


def failed_response(event: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """A FAILED body from whatever the event carries."""

    def text(name: str, default: str = "") -> str:
        value = event.get(name)
        return value if isinstance(value, str) else default

    return {
        "Status": "FAILED",
        "Reason": reason,
        "PhysicalResourceId": text("PhysicalResourceId") or text("RequestId") or "malformed-event",
        "StackId": text("StackId"),
        "RequestId": text("RequestId"),
        "LogicalResourceId": text("LogicalResourceId"),
        "NoEcho": False,
        "Data": {},
    }
