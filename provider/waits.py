"""Named waits on the replication set's status, as Terraform's waiters are: each waits for one
change, on one poller (:func:`provider.waiter.wait_for`), reading through a Region of the set.
"""

from .errors import SetFailed
from .incidents import IncidentsApi
from .state import LiveReplicationSet
from .waiter import Budget, wait_for


def wait_settled(
    api: IncidentsApi, arn: str, region: str, budget: Budget
) -> LiveReplicationSet | None:
    """The set once ACTIVE or FAILED (a FAILED set can still be deleted); None once gone."""
    return wait_for(
        lambda: api.status(arn, region),
        lambda found: found is None or found.settled,
        budget,
        lambda found: _still(arn, found),
    )


def wait_active(
    api: IncidentsApi, arn: str, region: str, budget: Budget
) -> LiveReplicationSet | None:
    """The set once ACTIVE; None once gone; SetFailed when it ends FAILED."""
    live = wait_settled(api, arn, region, budget)
    if live is not None and live.status == "FAILED":
        raise SetFailed(live.failure_summary())
    return live


def wait_gone(api: IncidentsApi, arn: str, region: str, budget: Budget) -> None:
    """Return once ``region`` no longer sees the set (it was deleted)."""
    wait_for(
        lambda: api.status(arn, region),
        lambda now: now is None,
        budget,
        lambda now: _still(arn, now),
    )


def _still(arn: str, found: LiveReplicationSet | None) -> str:
    return f"replication set {arn} was still {found.status if found else 'gone'}"
