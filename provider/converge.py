"""Reading the live set through a Region that sees it, and bringing it to a spec one call at a
time: what Create, Update, an adoption and its undoing all do once they know what they want.

Incident Manager answers for a set only in the set's Regions: the provider calls through its own
Region, and through another of the set's Regions when its own is not (or not yet, or no longer)
in the set.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, timedelta

from .actions import AddRegion, RemoveRegion
from .errors import RemovalRefused, ServiceFailure, SetFailed, Unreachable
from .incidents import IncidentsApi, NotFound
from .keys import Keys
from .live import LiveReplicationSet
from .ownership import Resource
from .plan import plan, via
from .spec import ReplicationSetSpec, key_id
from .waiting import Budget, wait_active, wait_settled


def way_out_of_a_rollback(resource: Resource, then: str = "") -> str:
    """The sentence that tells how to finish a rollback this resource cannot make.

    CloudFormation takes continue-update-rollback only on a root stack: for a nested stack,
    the call names the root and skips NestedStackLogicalId.ResourceLogicalId. The event does
    not say whether the stack is nested, so the sentence gives both forms.
    """
    stack, logical_id = resource.stack_name, resource.logical_id
    return (
        " If this is a rollback (stack UPDATE_ROLLBACK_FAILED), finish it without this "
        f"resource: aws cloudformation continue-update-rollback --stack-name {stack} "
        f"--resources-to-skip {logical_id}{then}. If {stack} is a nested stack, run that on its "
        f"root stack instead, skipping NESTED_STACK_LOGICAL_ID.{logical_id} (the nested stack's "
        "logical ID in the root's template)."
    )


@dataclass(frozen=True)
class Located:
    """The live set, and a Region of it through which it answers."""

    live: LiveReplicationSet
    region: str


def locate(
    api: IncidentsApi, arn: str, hints: Iterable[str], *, whole: bool = False
) -> Located | None:
    """The set ``arn`` names (``whole``: with its tags) and a Region that sees it; None when it
    is gone.

    A set that ListReplicationSets lists is not gone even if the provider's Region does not see
    it (that Region was removed outside the stack, or the resource that manages it now moved
    it away): it is looked for in the ``hints`` Regions, then in every Region where Incident
    Manager answers in the partition; Unreachable names the way out when none sees it.
    """

    def read(region: str) -> LiveReplicationSet | None:
        try:
            return api.find(arn, region) if whole else api.status(arn, region)
        except NotFound:
            return None

    live = read(api.home)
    if live is not None:
        return Located(live, api.home)
    if api.existing_arn() != arn:
        return None

    def regions() -> Iterator[str]:
        yield from hints
        yield from api.service_regions()  # asked only when no hinted Region sees the set

    tried = [api.home]
    for region in regions():
        if region in tried:
            continue
        tried.append(region)
        live = read(region)
        if live is not None:
            return Located(live, region)
    raise Unreachable(
        f"Replication set {arn} exists but answers in none of {', '.join(tried)}: it was changed "
        f"outside the stack, and Incident Manager answers for a set only in its own Regions. "
        f"Add {api.home}, the provider's Region, back to it through one of its Regions: aws "
        f"ssm-incidents update-replication-set --arn {arn} --actions "
        f'\'[{{"addRegionAction":{{"regionName":"{api.home}"}}}}]\' --region ONE_OF_ITS_REGIONS '
        '(with "sseKmsKeyId" if it uses customer managed keys), then retry.'
    )


def once_active(api: IncidentsApi, arn: str, found: Located, budget: Budget) -> Located | None:
    """The set once ACTIVE (tags are written only then), read through a Region that sees it;
    None when it is gone. A change that takes out the Region it was read through (an earlier
    invocation's) makes it look gone from there: it is looked for again through the others."""
    if found.live.status == "ACTIVE":
        return found
    for _ in range(2):
        live = wait_active(api, arn, found.region, budget)
        if live is not None:
            return Located(live, found.region)  # its status: the claim reads the rest
        again = locate(api, arn, (), whole=True)
        if again is None:
            return None
        found = again
    return found


def converge(
    api: IncidentsApi,
    keys: Keys,
    arn: str,
    spec: ReplicationSetSpec,
    budget: Budget,
    *,
    found: Located | None = None,
    known_tags: dict[str, str] | None = None,
    resource: Resource | None = None,
) -> None:
    """Wait for the set to settle, then apply the plan one action at a time.

    ``found`` is the whole set as last read, with a Region to read it through (default: a set
    just created through the provider's Region with ``known_tags``, not read yet).
    """
    vanished = ServiceFailure(f"replication set {arn} disappeared while the stack was changing it")
    region = found.region if found else api.home
    live = found.live if found else None
    if live is not None and live.status == "FAILED":
        live = _remove_failed_regions(api, arn, live, budget, resource)
        region = via(set(live.regions), api.home)
    if live is None or live.status != "ACTIVE" or live.tags is None:
        waited = wait_active(api, arn, region, budget)
        if waited is None:
            raise vanished
        try:  # the tags: known from the creation, else read once the set is ACTIVE
            live = (
                replace(waited, tags=known_tags)
                if known_tags is not None
                else api.find(arn, region)
            )
        except NotFound:
            raise vanished from None
    actions = plan(live, spec, api.home)
    keys.check((a.name, a.kms_key) for a in actions if isinstance(a, AddRegion))
    for action in actions:
        budget.before_call()
        try:
            api.apply(arn, action)
        except ServiceFailure as error:
            if isinstance(action, RemoveRegion) and error.code == "ValidationException":
                raise _removal_refused(
                    arn, live, action.name, error=error, resource=resource, spec=spec
                ) from error
            raise
        if isinstance(action, AddRegion | RemoveRegion):
            now = wait_active(api, arn, action.via, budget)
            if now is None:
                raise vanished
            live = now


def _remove_failed_regions(
    api: IncidentsApi,
    arn: str,
    live: LiveReplicationSet,
    budget: Budget,
    resource: Resource | None,
) -> LiveReplicationSet:
    """A FAILED set (a Region whose addition failed): remove the failed Regions first, the
    rollback's whole job when the template no longer names them; the plan re-adds any it does.

    No source says whether Incident Manager takes changes to a FAILED set (the emulator's
    switch, assumed); where it refuses, the Reason gives the ways out.
    """
    failed = sorted(name for name, r in live.regions.items() if r.status == "FAILED")
    healthy = set(live.regions) - set(failed)
    if not failed or not healthy:
        raise SetFailed(live.failure_summary())
    for name in failed:
        budget.before_call()
        try:
            api.apply(arn, RemoveRegion(name, via(healthy, api.home)))
        except ServiceFailure as error:
            raise SetFailed(_failed_way_out(live, name, error, resource)) from error
        if wait_settled(api, arn, via(healthy, api.home), budget) is None:
            raise ServiceFailure(f"replication set {arn} disappeared while it was being changed")
    # Still FAILED (another Region failed meanwhile): converge's wait_active says so.
    return api.find(arn, via(healthy, api.home))


def _failed_way_out(
    live: LiveReplicationSet, region: str, error: ServiceFailure, resource: Resource | None
) -> str:
    skip = way_out_of_a_rollback(resource) if resource else ""
    return (
        f"{live.failure_summary()}. Incident Manager refused to remove the failed Region "
        f"{region} ({error.reason}).{skip} Then remove it by hand once Incident Manager allows: "
        f"aws ssm-incidents update-replication-set --arn {live.arn} --actions "
        f'\'[{{"deleteRegionAction":{{"regionName":"{region}"}}}}]\' '
        "--region ONE_OF_ITS_OTHER_REGIONS; or ask AWS Support, and update the stack again."
    )


def _removal_refused(
    arn: str,
    live: LiveReplicationSet,
    region: str,
    *,
    error: ServiceFailure,
    resource: Resource | None,
    spec: ReplicationSetSpec,
) -> RemovalRefused:
    updated = live.regions[region].status_updated if region in live.regions else None
    added = updated.astimezone(UTC) if updated else None
    when = f" (added at {added:%Y-%m-%d %H:%M} UTC)" if added else ""
    retry = f" Retry after {added + timedelta(hours=24):%Y-%m-%d %H:%M} UTC." if added else ""
    why = ""
    wanted, have = spec.region_keys.get(region, None), live.region_keys.get(region)
    if region in spec.region_keys and key_id(wanted) != key_id(have):
        why = (
            f" The template asks for another key in {region} ({wanted or 'the AWS owned key'} "
            f"instead of {have or 'the AWS owned key'}): Incident Manager changes a Region's key "
            "only by removing the Region and adding it back with the new key."
        )
    skip = (
        way_out_of_a_rollback(
            resource, "; the next stack update then reconciles the set from its live state"
        )
        if resource
        else ""
    )
    return RemovalRefused(
        f"Incident Manager refused to remove Region {region}{when} from replication set {arn}: "
        f"{error.reason}.{why} Incident Manager may refuse to remove a Region within 24 hours "
        f"of adding it.{retry}{skip}"
    )
