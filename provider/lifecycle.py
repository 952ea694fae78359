"""Create, Update and Delete of the replication set, each reading top to bottom.

Every step is idempotent: a redelivered event, or a continuation after a handoff, re-reads the
live set and carries on from wherever the last invocation stopped.
"""

import re
from dataclasses import replace

from .errors import AlreadyExists, DeletionProtected, ProviderError, ServiceFailure, SetFailed
from .incidents import IncidentsApi, SetExists
from .plan import AddRegion, RemoveRegion, plan
from .spec import ReplicationSetSpec
from .state import LiveReplicationSet
from .waiter import Budget, wait_for

REPLICATION_SET_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:ssm-incidents::\d{12}:replication-set/.+$"
)


def is_replication_set_arn(physical_id: str) -> bool:
    return bool(REPLICATION_SET_ARN.match(physical_id))


def create(api: IncidentsApi, spec: ReplicationSetSpec, token: str, budget: Budget) -> str:
    """Create the set (or adopt the account's, if asked), converge it, and return its ARN."""
    try:
        arn = api.create(spec, token)
    except SetExists:
        existing = api.existing_arn()
        if existing is None:
            raise ServiceFailure(
                "CreateReplicationSet said a replication set exists, but ListReplicationSets "
                "shows none (it may be being deleted); retry the stack operation"
            ) from None
        if not spec.adopt_existing:
            raise AlreadyExists(
                f"A replication set already exists in this account: {existing}. Incident "
                "Manager allows one per account. To manage it from this stack, set "
                "AdoptExisting: true (with DeletionPolicy: Retain to keep it when the stack "
                "goes); otherwise refer to that ARN instead of creating a set."
            ) from None
        converge(api, existing, spec, budget)
        return existing
    try:
        converge(api, arn, spec, budget, known_tags=dict(spec.tags))
    except ProviderError as error:
        # This stack made the set: answer with its ARN so the rollback deletes it.
        error.physical_id = error.physical_id or arn
        raise
    return arn


def update(
    api: IncidentsApi, spec: ReplicationSetSpec, physical_id: str, *, token: str, budget: Budget
) -> str:
    """Converge the stack's set to the spec; recreate it if it was deleted outside the stack."""
    live = settled(api, physical_id, budget) if is_replication_set_arn(physical_id) else None
    if live is None:
        # CloudFormation sees a new PhysicalResourceId and then deletes the old one: a no-op.
        return create(api, spec, token, budget)
    converge(api, physical_id, spec, budget, live=live)
    return physical_id


def delete(api: IncidentsApi, physical_id: str, budget: Budget) -> None:
    """Delete the set and wait until it is gone; anything already gone is success."""
    if not is_replication_set_arn(physical_id):
        return  # a Create that failed before any set existed
    live = _wait_settled(api, physical_id, budget)  # a FAILED set can still be deleted
    if live is None:
        return
    if live.deletion_protected:
        raise DeletionProtected(
            f"Replication set {physical_id} has deletion protection on. To delete it, update "
            "the stack with DeletionProtected: false first; to keep it, set DeletionPolicy: "
            "Retain on the resource. Deleting it deletes all Incident Manager data."
        )
    if api.delete(physical_id):
        wait_for(
            lambda: api.status(physical_id),
            lambda found: found is None,
            budget,
            lambda found: f"replication set {physical_id} was still {_status(found)}",
        )


def converge(
    api: IncidentsApi,
    arn: str,
    spec: ReplicationSetSpec,
    budget: Budget,
    *,
    live: LiveReplicationSet | None = None,
    known_tags: dict[str, str] | None = None,
) -> None:
    """Wait for the set to settle, then apply the plan one action at a time."""
    vanished = ServiceFailure(f"replication set {arn} disappeared while the stack was changing it")
    live = live or settled(api, arn, budget)
    if live is None:
        raise vanished
    tags = known_tags if known_tags is not None else api.tags(arn)
    for action in plan(replace(live, tags=tags or {}), spec):
        api.apply(arn, action)
        if isinstance(action, AddRegion | RemoveRegion) and settled(api, arn, budget) is None:
            raise vanished


def settled(api: IncidentsApi, arn: str, budget: Budget) -> LiveReplicationSet | None:
    """Wait until the set is ACTIVE (returned) or gone (None); FAILED raises SetFailed."""
    live = _wait_settled(api, arn, budget)
    if live is not None and live.status == "FAILED":
        raise SetFailed(live.failure_summary())
    return live


def _wait_settled(api: IncidentsApi, arn: str, budget: Budget) -> LiveReplicationSet | None:
    return wait_for(
        lambda: api.status(arn),
        lambda found: found is None or found.settled,
        budget,
        lambda found: f"replication set {arn} was still {_status(found)}",
    )


def _status(found: LiveReplicationSet | None) -> str:
    return found.status if found else "gone"
