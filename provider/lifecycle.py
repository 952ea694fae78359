"""Create, Update and Delete of the replication set, each reading top to bottom.

Every step can be carried on: a continuation after a handoff re-reads the live set and carries
on from wherever the last invocation stopped (the records make sure a step itself runs once).
Who may change or delete the set is written on the set itself (``provider.ownership``), so that
every provider deployment, in any Region, reads the same answer.
"""

from collections.abc import Iterable
from dataclasses import replace

from aws_lambda_powertools import Logger

from . import ownership
from .actions import SetDeletionProtection
from .adoption import adopt, hand_back, undo_interrupted
from .converge import Located, converge, locate, once_active, way_out_of_a_rollback
from .errors import AlreadyExists, DeletionProtected, NotManager, ProviderError, ServiceFailure
from .incidents import IncidentsApi, NotFound, SetExists
from .keys import Keys
from .live import LiveReplicationSet
from .ownership import Marks, Resource
from .plan import plan
from .progress import Progress
from .settings import SERVICE
from .spec import ReplicationSetSpec, is_replication_set_arn
from .stewards import Stewards
from .waiting import Budget, wait_gone, wait_settled

log = Logger(service=SERVICE, child=True)
REFUSED = "refused"


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
    """Create the set (or adopt the account's, if asked), converge it, and return its ARN.

    The set is born with its manager's mark: whoever reads it, from any Region, knows it is
    this resource's from its first moment.
    """
    progress = progress or Progress()
    marks = ownership.manager_tags(owner.me)
    arn = progress.now.created
    if arn is None:
        keys.check(spec.region_keys.items())  # every key is sent: refuse a bad one first
        budget.before_call()
        progress.creating(True)
        try:
            arn = api.create(spec.region_keys, {**spec.tags, **marks}, token)
        except SetExists:
            progress.creating(False)  # it answered: it made nothing
            return _adopt(api, keys, spec, budget, owner, progress=progress)
        except ServiceFailure as error:
            # The call may have made the set though its answer was lost (a read timeout, a
            # 5xx after the service acted): the same token tells, and never makes a second.
            arn = created_with(api, spec, token, marks) if error.code not in DEFINITE else None
            if arn is None:
                raise
        progress.created(arn)
    try:
        converge(api, keys, arn, spec, budget, known_tags={**spec.tags, **marks})
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


def created_with(
    api: IncidentsApi, spec: ReplicationSetSpec, token: str, marks: dict[str, str]
) -> str | None:
    """The set CreateReplicationSet makes (or made) for ``token``: asking again with the same
    token and request returns it; None when another set is there or the call fails."""
    try:
        return api.create(spec.region_keys, {**spec.tags, **marks}, token)
    except (SetExists, ServiceFailure):
        return None


def _adopt(
    api: IncidentsApi,
    keys: Keys,
    spec: ReplicationSetSpec,
    budget: Budget,
    owner: Stewards,
    *,
    progress: Progress,
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
    if found is None or found.live.status == "DELETING":
        raise ServiceFailure(
            f"Replication set {existing} was deleted while it was being adopted; retry the "
            "stack operation to create a new one"
        )
    found = _inherit(api, existing, found, budget, owner)

    def changing() -> None:
        progress.adopting(existing)

    adopt(
        api,
        keys,
        existing,
        spec=spec,
        found=found,
        budget=budget,
        stewards=owner,
        changing=changing,
    )
    return existing


def update(
    api: IncidentsApi,
    keys: Keys,
    spec: ReplicationSetSpec,
    physical_id: str,
    *,
    token: str,
    budget: Budget,
    resource: Resource,
    owner: Stewards,
    hints: Iterable[str] = (),
    progress: Progress | None = None,
) -> str:
    """Converge the stack's set to the spec; recreate it if it was deleted outside the stack.

    ``hints`` are Regions the event names (new and old properties): where to look for the set
    when the provider's own Region no longer sees it.
    """
    found = None
    if progress is None or progress.now.created is None:  # a continuation's set is progress's
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
    found = _inherit(api, physical_id, found, budget, owner)
    marks = ownership.read_marks(found.live.tags)
    if marks.manager is None:
        found, marks = _take_over(api, physical_id, found, budget, owner)
    if not ownership.may_change(marks, owner.me):
        _refuse(found.live, spec, api.home, marks=marks, owner=owner, resource=resource)
        return physical_id  # the set is what this template says, or this undoes a refusal
    converge(api, keys, physical_id, spec, budget, found=found, resource=resource)
    return physical_id


def _inherit(
    api: IncidentsApi, arn: str, found: Located, budget: Budget, owner: Stewards
) -> Located:
    """A set an earlier version managed carries no marks: the line that version kept in this
    deployment's table moves onto the set, once, so that every deployment reads it from now
    on and the table keeps nothing that never expires. Tags are written only to an ACTIVE
    set: a set in a change is waited for; a FAILED one is decided on the table's line, which
    stays until the set is ACTIVE again."""
    if ownership.read_marks(found.live.tags).manager is not None:
        return found
    legacy = owner.notes.legacy_line(arn)
    if legacy is None:
        return found
    marks = ownership.inherited_tags(legacy)
    if not found.live.settled:
        if wait_settled(api, arn, found.region, budget) is None:
            return found  # gone meanwhile: whoever reads it next finds it gone
        try:
            found = Located(api.find(arn, found.region), found.region)
        except NotFound:
            return found
    if marks and found.live.status != "ACTIVE":
        as_recorded = {**(found.live.tags or {}), **{k: v for k, v in marks.items() if v}}
        return Located(replace(found.live, tags=as_recorded), found.region)
    if marks:
        with owner.claimed(arn, found.region, budget) as claim:
            if ownership.read_marks(claim.live.tags).manager is None:
                owner.write(claim, arn, marks)
        found = Located(claim.live, claim.region)
    owner.notes.forget_legacy(arn)
    log.info(
        "moved an earlier version's record of who manages the set onto the set", extra={"arn": arn}
    )
    return found


def _take_over(
    api: IncidentsApi, arn: str, found: Located, budget: Budget, owner: Stewards
) -> tuple[Located, Marks]:
    """A set nobody recorded (made by hand, or before this version): the resource that
    updates it manages it from now on, so that its Delete deletes it and an adoption hands
    it back to it."""
    active = once_active(api, arn, found, budget)  # tags are written only to an ACTIVE set
    if active is None:
        raise ServiceFailure(f"replication set {arn} disappeared while it was being changed")
    with owner.claimed(arn, active.region, budget) as claim:
        if ownership.read_marks(claim.live.tags).manager is None:
            owner.write(claim, arn, ownership.manager_tags(owner.me))
    return Located(claim.live, claim.region), ownership.read_marks(claim.live.tags)


def _refuse(
    live: LiveReplicationSet,
    spec: ReplicationSetSpec,
    home: str,
    *,
    marks: Marks,
    owner: Stewards,
    resource: Resource,
) -> None:
    """An Update from a resource that no longer manages the set changes nothing: it succeeds
    when the set already is what it asks, or when it is the rollback of its own refused update
    (the set is the manager's now, and this resource never changed it); else it is refused."""
    if _matches(live, spec, home):
        return
    refused = owner.note_key(REFUSED, live.arn)
    if owner.undoing and owner.notes.recall(refused) == {"asked": owner.undoing}:
        owner.notes.drop(refused)  # one rollback per refusal: a later update is asked anew
        log.info(
            "the rollback of an update refused to a resource that no longer manages the set: "
            "nothing to undo",
            extra={"arn": live.arn, "manager": marks.manager_label},
        )
        return
    owner.notes.keep(refused, {"asked": owner.asked})
    raise NotManager(
        f"Replication set {live.arn} is managed by {marks.describe_manager()}, which adopted it "
        f"(AdoptExisting); {owner.me} no longer manages it, so the provider changes nothing. "
        "Remove this resource from the template: its Delete leaves the set in place."
        + way_out_of_a_rollback(resource)
    )


def _matches(live: LiveReplicationSet, spec: ReplicationSetSpec, home: str) -> bool:
    try:
        return live.status == "ACTIVE" and not plan(live, spec, home)
    except ProviderError:
        return False


def delete(
    api: IncidentsApi,
    keys: Keys,
    physical_id: str,
    budget: Budget,
    *,
    resource: Resource,
    owner: Stewards,
    hints: Iterable[str] = (),
) -> None:
    """Delete the set and wait until it is gone, if this resource manages it and nobody is in
    line after it; otherwise hand it back, or leave it. Anything already gone is success."""
    if not is_replication_set_arn(physical_id):
        return  # a Create that failed before any set existed
    found = locate(api, physical_id, hints, whole=True)
    if found is None:
        return
    found = _inherit(api, physical_id, found, budget, owner)
    marks = ownership.read_marks(found.live.tags)
    decision = ownership.decide_delete(marks, owner.me)
    if decision in ("nothing", "leave-line") and undo_interrupted(
        api, keys, physical_id, found=found, budget=budget, stewards=owner
    ):
        # the rollback of this resource's adoption that failed before recording itself
        found = locate(api, physical_id, hints, whole=True)
        if found is None:
            return
    if decision == "nothing":
        log.info(
            "leaving the replication set in place: another resource manages it",
            extra={"arn": physical_id, "manager": marks.manager_label},
        )
        return
    _let_go(api, keys, physical_id, found, budget, resource=resource, owner=owner, marks=marks)


def _let_go(
    api: IncidentsApi,
    keys: Keys,
    physical_id: str,
    found: Located,
    budget: Budget,
    *,
    resource: Resource,
    owner: Stewards,
    marks: Marks,
) -> None:
    """The Delete of a resource the set has in its marks: decided again under a claim, then
    delete the set, hand it back or leave the line."""
    live: LiveReplicationSet | None = found.live
    if not found.live.settled:
        live = wait_settled(api, physical_id, found.region, budget)
    if live is None:
        # Gone, or only out of the Region it was read through (a hand-back carried on from an
        # earlier invocation takes this deployment's own Region out): look again.
        again = locate(api, physical_id, (), whole=True)
        if again is None:
            return
        found = again
        live = (
            found.live
            if found.live.settled
            else wait_settled(api, physical_id, found.region, budget)
        )
        if live is None:
            return
    if live.status == "FAILED":
        if ownership.decide_delete(marks, owner.me) != "delete":
            raise ServiceFailure(
                f"{live.failure_summary()}. The provider records who manages the set on its "
                "tags, which Incident Manager takes only while the set is ACTIVE; fix or remove "
                "the failed Region, then delete the stack again."
            )
        _delete_managed(api, physical_id, Located(live, found.region), budget, resource)
        return
    with owner.claimed(physical_id, found.region, budget) as claim:
        marks = ownership.read_marks(claim.live.tags)
        decision = ownership.decide_delete(marks, owner.me)  # as it is now, under the claim
        if decision == "delete":
            _delete_managed(api, physical_id, Located(claim.live, claim.region), budget, resource)
            claim.released = True  # the claim goes with the set
        elif decision == "hand-back":
            hand_back(
                api,
                keys,
                physical_id,
                claim=claim,
                marks=marks,
                budget=budget,
                stewards=owner,
                resource=resource,
            )
        elif decision == "leave-line":
            owner.write(claim, physical_id, ownership.without_me_tags(marks, owner.me))
        else:
            log.info("leaving the replication set in place: another resource manages it")


def _delete_managed(
    api: IncidentsApi, physical_id: str, found: Located, budget: Budget, resource: Resource
) -> None:
    live, region = found.live, found.region
    if live.deletion_protected:
        raise DeletionProtected(
            f"Replication set {physical_id} has deletion protection on, so the stack cannot "
            "delete it (deleting it deletes all Incident Manager data). To keep the set, delete "
            f"the stack again without it: aws cloudformation delete-stack --stack-name "
            f"{resource.stack_name} --retain-resources {resource.logical_id}. To delete it, turn "
            f"protection off outside the stack: aws ssm-incidents update-deletion-protection "
            f"--arn {physical_id} --no-deletion-protected --region {region}, then delete the "
            "stack again."
        )
    _delete_and_wait(api, physical_id, region, budget)


def _delete_and_wait(api: IncidentsApi, arn: str, region: str, budget: Budget) -> None:
    budget.before_call()
    if api.delete(arn, region):
        wait_gone(api, arn, region, budget)


def discard(api: IncidentsApi, arn: str, budget: Budget, *, manager: str) -> None:
    """Delete a set this request created and no stack will own, protection or not; only while
    its manager mark names this resource (``manager``: its token), as a set it made is born
    with: the ARN may come from the records, which others may write."""
    found = locate(api, arn, (), whole=True)
    if found is not None and ownership.read_marks(found.live.tags).manager != manager:
        raise NotManager(
            f"replication set {arn} was left alone: its {ownership.MANAGER} tag does not name "
            "this resource"
        )
    live = None if found is None else found.live
    if found is not None and live is not None and not live.settled:
        live = wait_settled(api, arn, found.region, budget)
    if found is not None and live is not None:
        if live.deletion_protected:
            budget.before_call()
            api.apply(arn, SetDeletionProtection(False, found.region))
        _delete_and_wait(api, arn, found.region, budget)
