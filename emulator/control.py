"""Test controls for the emulated ssm-incidents, in this process: faults, call counts,
transitions and the assumed rules. None of it lives in the backend (see client_hooks, clock)::

    from emulator import control

    control.inject_fault("CreateReplicationSet", "ThrottlingException", count=2)
    control.inject_fault("GetReplicationSet", "AccessDeniedException", after=1)  # the 2nd call
    control.set_transition_seconds(30)   # CREATING/UPDATING/DELETING last 30 s...
    control.advance_clock(30)            # ...on a clock the test can move
    control.set_region_removal_min_age(86400)  # the assumed 24-hour rule, on
    control.call_counts()["UpdateReplicationSet"]
    control.reset()                      # all of it back to the defaults

A failing transition is caused as on AWS: disable the Region's KMS key, or schedule its
deletion, before the creation ends (``schedule_key_deletion_after``). Against a server, use
:class:`emulator.remote.Controls`.
"""

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from . import clock
from .client_hooks import AFTER_CALL, IN_PROCESS
from .operations import MUTATING_OPERATIONS
from .ssmincidents.models import (
    FAILED_REGION_REMOVABLE_ENV,
    REMOVAL_MIN_AGE_ENV,
    TRANSITION_MODEL,
    SsmIncidentsBackend,
    ssmincidents_backends,
)

#: The settings reset() puts back as they were when this module was loaded.
_SETTINGS = {
    name: os.environ.get(name) for name in (REMOVAL_MIN_AGE_ENV, FAILED_REGION_REMOVABLE_ENV)
}


def backend(account_id: str = DEFAULT_ACCOUNT_ID, partition: str = "aws") -> SsmIncidentsBackend:
    found: SsmIncidentsBackend = ssmincidents_backends[account_id][partition]
    return found


def reset() -> None:
    """Faults, counts, the clock, transitions and the assumed rules back to their defaults."""
    IN_PROCESS.reset()
    AFTER_CALL.clear()
    clock.reset()
    state_manager.unset_transition(TRANSITION_MODEL)
    for name, value in _SETTINGS.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def inject_fault(
    operation: str, code: str, *, count: int = 1, message: str | None = None, after: int = 0
) -> None:
    """Make ``count`` calls of ``operation`` fail with the error ``code``, after letting the
    next ``after`` calls through (``after=1``: the second call fails)."""
    IN_PROCESS.inject(operation, code, count=count, message=message, after=after)


def after_call(operation: str, action: Callable[[], object]) -> None:
    """Run ``action`` once, right after the next successful ``operation`` call of this process:
    how a test changes the world while the provider waits (say, disables the KMS key of a
    Region being created, which then ends FAILED as on AWS)."""
    AFTER_CALL[operation].append(action)


def schedule_key_deletion_after(operation: str, key_arn: str) -> None:
    """Schedule the deletion of a KMS key right after ``operation``: the Region it encrypts
    ends FAILED when its creation ends (the emulator checks the key then, as AWS would), so
    the change must outlast the call: set_transition_reads or set_transition_seconds."""
    region = key_arn.split(":")[3]

    def schedule_deletion() -> None:
        kms = boto3.client("kms", region_name=region)
        # by key ID: moto 5.2's ScheduleKeyDeletion looks the key up by ID only
        kms.schedule_key_deletion(KeyId=key_arn.rsplit("/", 1)[-1], PendingWindowInDays=7)

    after_call(operation, schedule_deletion)


def clear_faults() -> None:
    IN_PROCESS.queued.clear()


def set_transition_seconds(seconds: float) -> None:
    """How long CREATING, UPDATING and DELETING last (0: they end at once), on the clock
    :func:`advance_clock` moves: moto's state manager, "time" progression. As everywhere in
    moto, the state manager is read at each status check, so the setting applies to changes
    already under way too."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    if seconds == 0:
        state_manager.unset_transition(TRANSITION_MODEL)
    else:
        state_manager.set_transition(TRANSITION_MODEL, {"progression": "time", "seconds": seconds})


def set_transition_reads(reads: int) -> None:
    """CREATING, UPDATING and DELETING end at the ``reads``-th GetReplicationSet that finds
    the set: moto's state manager, "manual" progression."""
    if reads < 1:
        raise ValueError("reads must be at least 1")
    state_manager.set_transition(TRANSITION_MODEL, {"progression": "manual", "times": reads})


def advance_clock(seconds: float) -> None:
    """Move the emulator's clock forward, so pending transitions end without waiting."""
    clock.advance(seconds)


def set_region_removal_min_age(seconds: float) -> None:
    """Refuse to remove a Region younger than ``seconds`` (0, the default, turns it off): the
    assumed rule after the user guide's "wait 24 hours", also set by the environment variable
    MOTO_SSM_INCIDENTS_REGION_REMOVAL_MIN_AGE_SECONDS or ``serve --region-removal-min-age``."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    os.environ[REMOVAL_MIN_AGE_ENV] = str(seconds)


def set_failed_region_removable(removable: bool) -> None:
    """The assumed rule's lenient reading: a FAILED set takes the removal of a failed Region
    (default: it takes no update). Also MOTO_SSM_INCIDENTS_FAILED_REGION_REMOVABLE=true."""
    os.environ[FAILED_REGION_REMOVABLE_ENV] = "true" if removable else "false"


def call_counts() -> Counter[str]:
    """How many times each operation was called by this process's clients (a copy)."""
    return Counter(IN_PROCESS.calls)


def mutating_calls() -> Counter[str]:
    return Counter({op: n for op, n in call_counts().items() if op in MUTATING_OPERATIONS})


def reset_call_counts() -> None:
    IN_PROCESS.calls.clear()


@contextmanager
def uncounted() -> Iterator[None]:
    """Calls made inside (a test's or the demo's own checks) are left out of call_counts(),
    meet no injected fault and run no ``after_call`` action: those are for the code under
    test."""
    IN_PROCESS.counting = False
    try:
        yield
    finally:
        IN_PROCESS.counting = True


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
