"""Test controls for the emulated ssm-incidents: faults, failed transitions, the clock, call counts.

This is the one sanctioned way for tests to reach past boto3 into the emulator::

    from emulator import control

    control.inject_fault("CreateReplicationSet", "ThrottlingException", count=2)
    control.inject_fault("GetReplicationSet", "AccessDeniedException", after=1)  # the 2nd call
    control.fail_next_transition("KMS key is pending deletion in us-east-2")
    control.set_transition_seconds(30)   # CREATING/UPDATING/DELETING last 30 s...
    control.advance_clock(30)            # ...on a clock the test can move
    control.set_region_removal_min_age(86400)  # the assumed 24-hour rule, on
    control.call_counts()["UpdateReplicationSet"]

State lives in the account's backend, so ``mock_aws()`` starts every test from a clean slate.
"""

from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

import boto3
from botocore.loaders import create_loader
from moto.core.exceptions import ServiceException
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.utils import utcnow

from .ssmincidents.exceptions import (
    AccessDeniedException,
    ConflictException,
    InternalServerException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
from .ssmincidents.models import SsmIncidentsBackend, Transition, ssmincidents_backends
from .ssmincidents.responses import declared_errors

#: The calls that change a replication set; the rest only read.
MUTATING_OPERATIONS = frozenset(
    {
        "CreateReplicationSet",
        "UpdateReplicationSet",
        "DeleteReplicationSet",
        "UpdateDeletionProtection",
        "TagResource",
        "UntagResource",
    }
)


@cache
def operation_names() -> frozenset[str]:
    model = create_loader().load_service_model("ssm-incidents", "service-2")
    return frozenset(model["operations"])


def backend(account_id: str = DEFAULT_ACCOUNT_ID, partition: str = "aws") -> SsmIncidentsBackend:
    found: SsmIncidentsBackend = ssmincidents_backends[account_id][partition]
    return found


#: The errors a test may inject, by code.
INJECTABLE: dict[str, type[ServiceException]] = {
    cls.code: cls
    for cls in (
        ValidationException,
        ConflictException,
        ResourceNotFoundException,
        ServiceQuotaExceededException,
        ThrottlingException,
        AccessDeniedException,
        InternalServerException,
    )
}


@dataclass
class Fault:
    code: str
    message: str | None
    remaining: int
    skip: int = 0  # calls to let through before failing


@dataclass
class Controls:
    """A backend's test machinery, kept out of it: attached through its extension points
    (``start_call`` hooks, its clock, the outcome of a transition)."""

    calls: Counter[str] = field(default_factory=Counter)
    counting: bool = True
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    clock_offset: float = 0.0
    failing_message: str | None = None

    def on_call(self, operation: str) -> None:
        """Count the call, then raise the fault injected for it, if any."""
        if self.counting:
            self.calls[operation] += 1
        queue = self.faults.get(operation)
        if not queue:
            return
        fault = queue[0]
        if fault.skip > 0:
            fault.skip -= 1
            return
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        cls: Any = INJECTABLE[fault.code]
        raise cls(fault.message or f"Injected {fault.code} for {operation}")

    def now(self) -> datetime:
        return utcnow() + timedelta(seconds=self.clock_offset)

    def failure(self, transition: Transition) -> str | None:
        message, self.failing_message = self.failing_message, None
        return message


_CONTROLS: "WeakKeyDictionary[SsmIncidentsBackend, Controls]" = WeakKeyDictionary()


def _attach(found: SsmIncidentsBackend) -> None:
    controls = _CONTROLS[found] = Controls()
    found.before_call.append(controls.on_call)
    found.clock = controls.now
    found.failure_for = controls.failure


SsmIncidentsBackend.observers.append(_attach)


def controls(account_id: str = DEFAULT_ACCOUNT_ID) -> Controls:
    return _CONTROLS[backend(account_id)]


def inject_fault(
    operation: str,
    code: str,
    *,
    count: int = 1,
    message: str | None = None,
    after: int = 0,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> None:
    """Make ``count`` calls of ``operation`` fail with the error ``code``, after letting the
    next ``after`` calls through (``after=1``: the second call fails)."""
    if operation not in operation_names():
        raise ValueError(f"unknown ssm-incidents operation {operation!r}")
    if code not in INJECTABLE:
        raise ValueError(f"cannot inject {code!r}; choose one of {sorted(INJECTABLE)}")
    if code not in declared_errors(operation):
        raise ValueError(
            f"{operation} never answers {code!r}: the service model declares only "
            f"{sorted(declared_errors(operation))}"
        )
    if count < 1 or after < 0:
        raise ValueError("count must be at least 1 and after not negative")
    faults = controls(account_id).faults
    faults.setdefault(operation, deque()).append(Fault(code, message, count, after))


def clear_faults(account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    controls(account_id).faults.clear()


def fail_next_transition(message: str, *, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """Make the next creation or added region end in status FAILED with ``message``."""
    controls(account_id).failing_message = message


def set_transition_seconds(seconds: float, *, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """How long CREATING, UPDATING and DELETING last from now on (0 means instant)."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    backend(account_id).transition_seconds = seconds


def set_region_removal_min_age(seconds: float, *, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """Refuse to remove a Region younger than ``seconds`` (0, the default, turns it off).

    An assumed rule, after the user guide's "wait 24 hours after creating it"; also set by the
    environment variable SSM_INCIDENTS_REGION_REMOVAL_MIN_AGE_SECONDS or ``serve
    --region-removal-min-age``.
    """
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    backend(account_id).removal_min_age_seconds = seconds


def set_failed_region_removable(removable: bool, *, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """The assumed rule's lenient reading: a FAILED set takes the removal of a failed Region
    (default: it takes no update). Also SSM_INCIDENTS_FAILED_REGION_REMOVABLE=1."""
    backend(account_id).failed_region_removable = removable


def advance_clock(seconds: float, *, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """Move the emulator's clock forward, so pending transitions complete without waiting."""
    controls(account_id).clock_offset += seconds


def call_counts(account_id: str = DEFAULT_ACCOUNT_ID) -> Counter[str]:
    """How many times each operation was called (a copy)."""
    return Counter(controls(account_id).calls)


def mutating_calls(account_id: str = DEFAULT_ACCOUNT_ID) -> Counter[str]:
    return Counter(
        {op: n for op, n in call_counts(account_id).items() if op in MUTATING_OPERATIONS}
    )


def reset_call_counts(account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    controls(account_id).calls.clear()


@contextmanager
def uncounted(account_id: str = DEFAULT_ACCOUNT_ID) -> Iterator[None]:
    """Calls made inside (a test's or the demo's own checks) are left out of call_counts()."""
    found = controls(account_id)
    found.counting = False
    try:
        yield
    finally:
        found.counting = True


def replication_set_arns(region: str = "us-east-1") -> list[str]:
    """The account's replication sets (zero or one), read through boto3, uncounted."""
    client = boto3.client("ssm-incidents", region_name=region)
    with uncounted():
        return list(client.list_replication_sets()["replicationSetArns"])


def replication_set(region: str = "us-east-1") -> dict[str, Any] | None:
    """The account's set, with its tags, read through boto3 and left out of the call counts:
    what a test or the demo checks after the provider has run."""
    arns = replication_set_arns(region)
    if not arns:
        return None
    client = boto3.client("ssm-incidents", region_name=region)
    with uncounted():
        found: dict[str, Any] = dict(client.get_replication_set(arn=arns[0])["replicationSet"])
        found["tags"] = client.list_tags_for_resource(resourceArn=arns[0])["tags"]
    return found


def region_keys(region: str = "us-east-1") -> dict[str, str]:
    """Region name -> sseKmsKeyId of the account's set ({} when there is none)."""
    found = replication_set(region) or {}
    return {name: info["sseKmsKeyId"] for name, info in found.get("regionMap", {}).items()}
