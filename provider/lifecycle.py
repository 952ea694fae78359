"""Create, Update and Delete of the replication set, each reading top to bottom.

Every step can be carried on: a continuation after a handoff re-reads the live set and carries
on from wherever the last invocation stopped (the records make sure a step itself runs once).
Incident Manager answers for a set only in the set's Regions: the provider calls through its own
Region, and through another of the set's Regions when its own is not (or not yet, or no longer)
in the set. Who may change or delete a set is the records' say (``provider.ownership``).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, timedelta
from typing import Protocol

from aws_lambda_powertools import Logger

from . import ownership
from .errors import (
    AlreadyExists,
    DeletionProtected,
    NotManager,
    ProviderError,
    RemovalRefused,
    ServiceFailure,
    SetFailed,
    Unreachable,
)
from .incidents import IncidentsApi, NotFound, SetExists
from .keys import Keys
from .ownership import Line, Owner
from .plan import AddRegion, RemoveRegion, SetDeletionProtection, plan, via
from .settings import SERVICE
from .spec import ReplicationSetSpec, is_replication_set_arn
from .state import LiveReplicationSet
from .waiter import Budget
from .waits import wait_active, wait_gone, wait_settled

log = Logger(service=SERVICE, child=True)


class OwnerRecords(Protocol):
    """Where the lines of managers are kept (``provider.records.Records``)."""

    def change_line(self, arn: str, change: Callable[[Line | None], Line]) -> Line: ...


@dataclass(frozen=True)
class Stewards:
    """The records of who manages which set, and the resource this request is for."""

    records: OwnerRecords
    me: Owner

    def start(self, arn: str) -> None:
        """``me`` created ``arn``: it alone manages it."""
        self.records.change_line(arn, lambda _: ownership.created(self.me))

    def adopt(self, arn: str) -> None:
        """``me`` adopted ``arn``: it manages it now, after whoever did before."""

        def change(line: Line | None) -> Line:
            try:
                return ownership.adopted(line, self.me)
            except ValueError:
                gone = bool(line) and line[-1] == ownership.GONE  # type: ignore[index]
                raise ServiceFailure(
                    f"Replication set {arn} was deleted while it was being adopted; retry the "
                    "stack operation to create a new one"
                    if gone or not line
                    else f"Replication set {arn} is being deleted by "
                    f"{ownership.manager(line[:-1])} (its stack's Delete); it cannot be "
                    "adopted. Retry once it is gone."
                ) from None

        self.records.change_line(arn, change)

    def claim(self, arn: str, names: "Names | None" = None) -> None:
        """Refuse unless ``me`` manages ``arn``; record it as the manager of a set nobody
        recorded."""

        def change(line: Line | None) -> Line:
            if not ownership.may_change(line, self.me):
                raise NotManager(_managed_elsewhere(arn, line, self.me, names))
            return ownership.claimed(line, self.me)

        self.records.change_line(arn, change)

    def release(self, arn: str) -> ownership.Released:
        """Take ``me`` out of the line; a Delete that is to delete the set marks the line as
        being deleted until the set is gone (``forget``), so an adoption cannot slip in."""
        decided: list[ownership.Released] = []

        def change(line: Line | None) -> Line:
            decided[:] = [ownership.release(line, self.me)]
            return decided[0].remaining

        self.records.change_line(arn, change)
        return decided[0]

    def unmark(self, arn: str) -> None:
        """The Delete that marked the line failed: the set is not being deleted."""
        self.records.change_line(
            arn, lambda line: tuple(o for o in line or () if o != ownership.DELETING)
        )

    def forget(self, arn: str) -> None:
        """The set is gone: its line says so, for good."""
        self.records.change_line(arn, lambda _: (ownership.GONE,))


def _managed_elsewhere(arn: str, line: Line | None, me: Owner, names: "Names | None") -> str:
    skip = names.way_out_of_a_rollback() if names else ""
    return (
        f"Replication set {arn} is managed by {ownership.manager(line)}, which adopted it "
        f"(AdoptExisting); {me} no longer manages it, so the provider changes nothing. Remove "
        f"this resource from the template: its Delete leaves the set in place.{skip}"
    )


@dataclass(frozen=True)
class Names:
    """What a Reason needs to show the stack's way out: the stack and the resource."""

    stack_name: str
    logical_id: str

    def way_out_of_a_rollback(self) -> str:
        """The sentence that tells how to finish a rollback this resource cannot make."""
        return (
            " If this is a rollback (stack UPDATE_ROLLBACK_FAILED), finish it without this "
            "resource: aws cloudformation continue-update-rollback --stack-name "
            f"{self.stack_name} --resources-to-skip {self.logical_id}."
        )


@dataclass
class Progress:
    """What one request has learned that its answer must carry, across invocations too: the
    ARN CreateReplicationSet returned. From then on every answer names the set (a Create's
    FAILED with it, so that the rollback's Delete removes it), and a continuation never
    depends on issuing CreateReplicationSet again."""

    created: str | None = None
    creating: bool = False  # CreateReplicationSet was called; its answer may not have come

    def recreated(self, request_type: str, physical_id: str) -> bool:
        """An Update made a new set (its old one was gone): no stack will own it if it fails."""
        return request_type == "Update" and self.created not in (None, physical_id)


@dataclass(frozen=True)
class Located:
    """The live set, and a Region of it through which it answers."""

    live: LiveReplicationSet
    region: str


def create(
    api: IncidentsApi,
    keys: Keys,
    spec: ReplicationSetSpec,
    token: str,
    budget: Budget,
    *,
    owner: Stewards,
    progress: Progress | None = None,
) -> str:
    """Create the set (or adopt the account's, if asked), converge it, and return its ARN."""
    progress = progress or Progress()
    arn = progress.created
    if arn is None:
        keys.check(spec.region_keys.items())  # every key is sent: refuse a bad one first
        budget.before_call()
        progress.creating = True
        try:
            arn = api.create(spec, token)
        except SetExists:
            return _adopt(api, keys, spec, budget, owner)
        except ServiceFailure as error:
            # The call may have made the set though its answer was lost (a read timeout, a
            # 5xx after the service acted): the same token tells, and never makes a second.
            arn = created_with(api, spec, token) if error.code not in DEFINITE else None
            if arn is None:
                raise
        progress.created = arn
        owner.start(arn)
    try:
        converge(api, keys, arn, spec, budget, known_tags=dict(spec.tags))
    except ProviderError as error:
        # This stack made the set: answer with its ARN so the rollback deletes it.
        error.physical_id = error.physical_id or arn
        raise
    return arn


#: Refusals after which CreateReplicationSet certainly made nothing.
DEFINITE = frozenset(
    {
        "AccessDeniedException",
        "ValidationException",
        "ServiceQuotaExceededException",
        "ThrottlingException",
    }
)


def created_with(api: IncidentsApi, spec: ReplicationSetSpec, token: str) -> str | None:
    """The set CreateReplicationSet makes (or made) for ``token``: asking again with the same
    token and request returns it; None when another set is there or the call fails."""
    try:
        return api.create(spec, token)
    except (SetExists, ServiceFailure):
        return None


def _adopt(
    api: IncidentsApi, keys: Keys, spec: ReplicationSetSpec, budget: Budget, owner: Stewards
) -> str:
    existing = api.existing_arn()
    if existing is None:
        raise ServiceFailure(
            "CreateReplicationSet said a replication set exists, but ListReplicationSets "
            "shows none (it may be being deleted); retry the stack operation"
        )
    if not spec.adopt_existing:
        raise AlreadyExists(
            f"A replication set already exists in this account: {existing}. Incident "
            "Manager allows one per account. To manage it from this stack, set "
            "AdoptExisting: true (with DeletionPolicy: Retain to keep it when the stack "
            "goes); otherwise refer to that ARN instead of creating a set."
        )
    found = locate(api, existing, spec.region_names, whole=True)
    if found is None:
        raise ServiceFailure(f"replication set {existing} disappeared while being adopted")
    converge(api, keys, existing, spec, budget, found=found)
    owner.adopt(existing)  # once it matches the template: a failed adoption leaves no claim
    return existing


def update(
    api: IncidentsApi,
    keys: Keys,
    spec: ReplicationSetSpec,
    physical_id: str,
    *,
    token: str,
    budget: Budget,
    names: Names,
    owner: Stewards,
    hints: Iterable[str] = (),
    progress: Progress | None = None,
) -> str:
    """Converge the stack's set to the spec; recreate it if it was deleted outside the stack.

    ``hints`` are Regions the event names (new and old properties): where to look for the set
    when the provider's own Region no longer sees it.
    """
    found = None
    if progress is None or progress.created is None:  # a continuation's set is progress's
        found = (
            locate(api, physical_id, hints, whole=True)
            if is_replication_set_arn(physical_id)
            else None
        )
    if found is not None and found.live.status == "DELETING":
        # Being deleted outside the stack: once it is gone, it is created anew, as below.
        wait_gone(api, physical_id, found.region, budget)
        found = None
    if found is None:
        # CloudFormation sees a new PhysicalResourceId and then deletes the old one: a no-op.
        # Should this update fail, CloudFormation keeps the old ID: the edge then deletes the
        # new set (discard), which no stack would otherwise own.
        return create(api, keys, spec, token, budget, owner=owner, progress=progress)
    try:
        owner.claim(physical_id, names)
    except NotManager:
        if _matches(found.live, spec, api.home):
            # Another resource manages the set, and it is already what this template says
            # (the rollback of this resource's refused update): nothing to change or refuse.
            return physical_id
        raise
    converge(api, keys, physical_id, spec, budget, found=found, names=names)
    return physical_id


def _matches(live: LiveReplicationSet, spec: ReplicationSetSpec, home: str) -> bool:
    try:
        return live.status == "ACTIVE" and not plan(live, spec, home)
    except ProviderError:
        return False


def delete(
    api: IncidentsApi,
    physical_id: str,
    budget: Budget,
    *,
    names: Names,
    owner: Stewards,
    hints: Iterable[str] = (),
) -> None:
    """Delete the set and wait until it is gone, unless another resource manages it; anything
    already gone is success."""
    if not is_replication_set_arn(physical_id):
        return  # a Create that failed before any set existed
    found = locate(api, physical_id, hints)
    if found is None:
        owner.forget(physical_id)
        return
    released = owner.release(physical_id)
    if not released.delete_set:
        log.info(
            "leaving the replication set in place: another resource manages it",
            extra={"arn": physical_id, "manager": str(ownership.manager(released.remaining))},
        )
        return
    try:
        _delete_managed(api, physical_id, found, budget, names)
    except ProviderError:
        owner.unmark(physical_id)  # not being deleted after all: the line is as it was
        raise
    owner.forget(physical_id)


def _delete_managed(
    api: IncidentsApi, physical_id: str, found: "Located", budget: Budget, names: Names
) -> None:
    region = found.region
    live = found.live if found.live.settled else wait_settled(api, physical_id, region, budget)
    if live is None:
        return
    if live.deletion_protected:
        raise DeletionProtected(
            f"Replication set {physical_id} has deletion protection on, so the stack cannot "
            "delete it (deleting it deletes all Incident Manager data). To keep the set, delete "
            f"the stack again without it: aws cloudformation delete-stack --stack-name "
            f"{names.stack_name} --retain-resources {names.logical_id}. To delete it, turn "
            f"protection off outside the stack: aws ssm-incidents update-deletion-protection "
            f"--arn {physical_id} --no-deletion-protected --region {region}, then delete the "
            "stack again."
        )
    _delete_and_wait(api, physical_id, region, budget)


def _delete_and_wait(api: IncidentsApi, arn: str, region: str, budget: Budget) -> None:
    budget.before_call()
    if api.delete(arn, region):
        wait_gone(api, arn, region, budget)


def discard(api: IncidentsApi, arn: str, budget: Budget, records: OwnerRecords) -> None:
    """Delete a set this request created and no stack will own, protection or not."""
    found = locate(api, arn, ())
    live = None if found is None else found.live
    if found is not None and live is not None and not live.settled:
        live = wait_settled(api, arn, found.region, budget)
    if found is not None and live is not None:
        if live.deletion_protected:
            budget.before_call()
            api.apply(arn, SetDeletionProtection(False, found.region))
        _delete_and_wait(api, arn, found.region, budget)
    records.change_line(arn, lambda _: (ownership.GONE,))


def locate(
    api: IncidentsApi, arn: str, hints: Iterable[str], *, whole: bool = False
) -> Located | None:
    """The set ``arn`` names (``whole``: with its tags) and a Region that sees it; None when it
    is gone.

    A set that ListReplicationSets lists is not gone even if the provider's Region does not see
    it (that Region was removed outside the stack): it is looked for in the ``hints`` Regions,
    and Unreachable names the way out when none of them sees it either.
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
    tried = [api.home]
    for region in dict.fromkeys(hints):
        if region in tried:
            continue
        tried.append(region)
        live = read(region)
        if live is not None:
            return Located(live, region)
    raise Unreachable(
        f"Replication set {arn} exists but is not in {', '.join(tried)}: it was changed "
        f"outside the stack, and Incident Manager answers for a set only in its own Regions. "
        f"Add {api.home}, the provider's Region, back to it through one of its Regions: aws "
        f"ssm-incidents update-replication-set --arn {arn} --actions "
        f'\'[{{"addRegionAction":{{"regionName":"{api.home}"}}}}]\' --region ONE_OF_ITS_REGIONS '
        '(with "sseKmsKeyId" if it uses customer managed keys), then retry.'
    )


def converge(
    api: IncidentsApi,
    keys: Keys,
    arn: str,
    spec: ReplicationSetSpec,
    budget: Budget,
    *,
    found: Located | None = None,
    known_tags: dict[str, str] | None = None,
    names: Names | None = None,
) -> None:
    """Wait for the set to settle, then apply the plan one action at a time.

    ``found`` is the whole set as last read, with a Region to read it through (default: a set
    just created through the provider's Region with ``known_tags``, not read yet).
    """
    vanished = ServiceFailure(f"replication set {arn} disappeared while the stack was changing it")
    region = found.region if found else api.home
    live = found.live if found else None
    if live is not None and live.status == "FAILED":
        live = _remove_failed_regions(api, arn, live, budget, names)
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
                raise _removal_refused(arn, live, action.name, error, names) from error
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
    names: Names | None,
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
            raise SetFailed(_failed_way_out(live, name, error, names)) from error
        if wait_settled(api, arn, via(healthy, api.home), budget) is None:
            raise ServiceFailure(f"replication set {arn} disappeared while it was being changed")
    # Still FAILED (another Region failed meanwhile): converge's wait_active says so.
    return api.find(arn, via(healthy, api.home))


def _failed_way_out(
    live: LiveReplicationSet, region: str, error: ServiceFailure, names: Names | None
) -> str:
    skip = names.way_out_of_a_rollback() if names else ""
    return (
        f"{live.failure_summary()}. Incident Manager refused to remove the failed Region "
        f"{region} ({error.reason}).{skip} Then remove it by hand once Incident Manager allows: "
        f"aws ssm-incidents update-replication-set --arn {live.arn} --actions "
        f'\'[{{"deleteRegionAction":{{"regionName":"{region}"}}}}]\' '
        "--region ONE_OF_ITS_OTHER_REGIONS; or ask AWS Support, and update the stack again."
    )


def _removal_refused(
    arn: str, live: LiveReplicationSet, region: str, error: ServiceFailure, names: Names | None
) -> RemovalRefused:
    updated = live.regions[region].status_updated if region in live.regions else None
    added = updated.astimezone(UTC) if updated else None
    when = f" (added at {added:%Y-%m-%d %H:%M} UTC)" if added else ""
    retry = f" Retry after {added + timedelta(hours=24):%Y-%m-%d %H:%M} UTC." if added else ""
    skip = (
        f" If this is a rollback (stack UPDATE_ROLLBACK_FAILED), finish it without this "
        f"resource: aws cloudformation continue-update-rollback --stack-name "
        f"{names.stack_name} --resources-to-skip {names.logical_id}; the next stack update "
        "then reconciles the set from its live state."
        if names
        else ""
    )
    return RemovalRefused(
        f"Incident Manager refused to remove Region {region}{when} from replication set {arn}: "
        f"{error.reason}. Incident Manager may refuse to remove a Region within 24 hours of "
        f"adding it.{retry}{skip}"
    )
