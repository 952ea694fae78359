"""Adopting the account's set (``AdoptExisting``), and handing it back.

An adoption claims the set, notes what it is about to change (:class:`Replaced`: deletion
protection, the template's tags, Regions and the manager) in its own deployment's records,
converges the set to its template and only then records itself as the manager. A refused
adoption puts back what it changed. The adopter's Delete (the rollback of the adoption, or a
later Delete of the adopting resource) hands the set back to the manager before it; within the
note's 24 hours it also puts back what the adoption replaced, so that the set is again what
that manager's template says.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from aws_lambda_powertools import Logger

from . import ownership
from .converge import Located, converge, locate, once_active
from .errors import ProviderError, ServiceFailure
from .incidents import IncidentsApi
from .keys import Keys
from .live import LiveReplicationSet
from .ownership import Marks, Resource
from .plan import via
from .settings import SERVICE
from .spec import RegionSpec, ReplicationSetSpec
from .stewards import Claim, Stewards, crowded
from .waiting import Budget, wait_active

log = Logger(service=SERVICE, child=True)
ADOPTION = "adoption"
PUT_BACK = " What the adoption changed was put back."


@dataclass(frozen=True)
class Replaced:
    """The set as an adoption found it: what its rollback puts back."""

    request_id: str
    manager_label: str
    deletion_protected: bool
    tags: dict[str, str]
    regions: dict[str, str | None]
    refused: str = ""  # the adoption failed for this: only putting back is left

    @classmethod
    def of(cls, live: LiveReplicationSet, request_id: str, manager_label: str) -> "Replaced":
        return cls(
            request_id,
            manager_label,
            live.deletion_protected,
            ownership.template_tags(live.tags or {}),
            dict(live.region_keys),
        )

    @classmethod
    def from_note(cls, note: dict[str, Any] | None) -> "Replaced | None":
        try:
            return cls(**note) if note else None
        except TypeError:
            return None

    def as_spec(self) -> ReplicationSetSpec:
        regions = tuple(RegionSpec(name, key) for name, key in sorted(self.regions.items()))
        return ReplicationSetSpec(regions, self.deletion_protected, dict(self.tags))


def noted_adoption(stewards: Stewards, arn: str) -> tuple[str, Replaced | None]:
    """Where this resource's note of its adoption of ``arn`` is kept, and the note, if any."""
    key = stewards.note_key(ADOPTION, arn)
    return key, Replaced.from_note(stewards.notes.recall(key))


def adopt(
    api: IncidentsApi,
    keys: Keys,
    arn: str,
    *,
    spec: ReplicationSetSpec,
    found: Located,
    budget: Budget,
    stewards: Stewards,
    changing: Callable[[], None] = lambda: None,
) -> None:
    """Make the account's set what ``spec`` says and record ``stewards.me`` as its manager,
    after the one before it; a refused adoption changes nothing (it puts back what it did).
    ``changing`` is told once the adoption may change the set (its note is kept): from then
    on a failure must name the set, so that the rollback's Delete puts back what it did."""
    active = once_active(api, arn, found, budget)  # tags are written only to an ACTIVE set
    if active is None:
        raise ServiceFailure(f"replication set {arn} disappeared while being adopted")
    with stewards.claimed(arn, active.region, budget) as claim:
        if ownership.excess_tags(claim.live.tags):  # its rollback could not put them back
            raise crowded(arn, claim.live.tags, claim.region)
        marks = ownership.read_marks(claim.live.tags)
        here = Located(claim.live, claim.region)
        note_key, noted = noted_adoption(stewards, arn)
        ours = noted is not None and noted.request_id == stewards.request_id
        if marks.manager == stewards.me.token:
            # Its own set, adopted again (the resource was removed with DeletionPolicy: Retain
            # and added back): as a set nobody recorded (or as this adoption's note found it,
            # in a next invocation), so that the rollback of this adoption hands it back, as
            # it was, rather than delete it.
            label = noted.manager_label if noted is not None and ours else ""
            marks = ownership.Marks(
                ownership.read_marks({ownership.MANAGER: label}).manager, label, marks.line
            )
        if noted is None or not ours:
            noted = Replaced.of(claim.live, stewards.request_id, marks.manager_label)
            stewards.notes.keep(note_key, asdict(noted))
        elif noted.refused:  # refused in an earlier invocation: only putting back is left
            changing()
            undone = _put_back(api, keys, arn, budget=budget, claim=claim, stewards=stewards)
            raise ServiceFailure(noted.refused + undone)
        elif ownership.read_marks({ownership.MANAGER: noted.manager_label}).manager != (
            marks.manager
        ):
            # This adoption's earlier invocation lost its claim between invocations, and
            # another resource adopted the set meanwhile: it gives way.
            changing()
            raise ServiceFailure(
                f"Replication set {arn} was adopted by {marks.describe_manager()} while this "
                "adoption was under way; this one gives way. Retry the stack operation to "
                "adopt it after that one."
            )
        changing()
        try:
            converge(api, keys, arn, spec, budget, found=here)
            claim.region = api.home  # the template's Regions, the provider's among them
            stewards.write(claim, arn, ownership.adopted_tags(marks, stewards.me))
        except ProviderError as error:
            # noted first: should putting back outlast this invocation, the next one only
            # finishes it
            stewards.notes.keep(note_key, {**asdict(noted), "refused": error.reason})
            error.reason += _put_back(api, keys, arn, budget=budget, claim=claim, stewards=stewards)
            raise
    log.info(
        "adopted the replication set",
        extra={"arn": arn, "previous_manager": marks.manager_label or None},
    )


def _put_back(
    api: IncidentsApi, keys: Keys, arn: str, *, budget: Budget, claim: Claim, stewards: Stewards
) -> str:
    """Put back what a refused adoption changed; its note goes once that is done (else the
    rollback's Delete tries again)."""
    note_key, noted = noted_adoption(stewards, arn)
    if noted is None:  # kept before the adoption changed anything; gone only if expired
        return ""
    outcome = put_back(api, keys, arn, replaced=noted, budget=budget, resource=None)
    claim.region = via(set(noted.regions), api.home)  # in the set again
    if outcome == PUT_BACK:
        stewards.notes.drop(note_key)
    return outcome


def undo_interrupted(
    api: IncidentsApi,
    keys: Keys,
    arn: str,
    *,
    found: Located,
    budget: Budget,
    stewards: Stewards,
) -> bool:
    """The Delete of a resource whose adoption failed before recording itself (its request
    failed midway, or crhelper's timer answered): put back what it changed, while the set is
    still the manager's it found, then forget the note. Whether there was such a note."""
    note_key, replaced = noted_adoption(stewards, arn)
    if replaced is None:
        return False
    if found.live.status != "ACTIVE" and wait_active(api, arn, found.region, budget) is None:
        return True
    with stewards.claimed(arn, found.region, budget) as claim:
        marks = ownership.read_marks(claim.live.tags)
        found_by = ownership.read_marks({ownership.MANAGER: replaced.manager_label})
        if marks.manager == found_by.manager:
            converge(
                api,
                keys,
                arn,
                replaced.as_spec(),
                budget,
                found=Located(claim.live, claim.region),
            )
            claim.region = via(set(replaced.regions), api.home)
            log.info("put back what an interrupted adoption changed", extra={"arn": arn})
    stewards.notes.drop(note_key)
    return True


def put_back(
    api: IncidentsApi,
    keys: Keys,
    arn: str,
    *,
    replaced: Replaced,
    budget: Budget,
    resource: Resource | None,
) -> str:
    """Bring the set back to what the adoption found; the sentence a Reason gets about it."""
    try:
        found = locate(api, arn, replaced.regions, whole=True)
        if found is None:
            return ""
        converge(api, keys, arn, replaced.as_spec(), budget, found=found, resource=resource)
    except ProviderError as error:
        return (
            " The adoption could not put back what it changed: "
            f"{error.reason} Set it back by hand to deletion protection "
            f"{'on' if replaced.deletion_protected else 'off'}, Regions "
            f"{', '.join(sorted(replaced.regions))} and tags {_shown(replaced.tags)}."
        )
    return PUT_BACK


def hand_back(
    api: IncidentsApi,
    keys: Keys,
    arn: str,
    *,
    claim: Claim,
    marks: Marks,
    budget: Budget,
    stewards: Stewards,
    resource: Resource,
) -> None:
    """The manager's Delete, with others in line: the last of them manages the set again, as
    the adoption found it when this resource's note of it is still there."""
    note_key, replaced = noted_adoption(stewards, arn)
    previous = marks.line[-1]
    label = None
    before = replaced and ownership.read_marks({ownership.MANAGER: replaced.manager_label})
    if replaced and before and (before.manager or ownership.UNRECORDED) == previous:
        try:
            converge(
                api,
                keys,
                arn,
                replaced.as_spec(),
                budget,
                found=Located(claim.live, claim.region),
                resource=resource,
            )
        except ProviderError as error:
            error.reason = (
                f"Handing replication set {arn} back to the resource that managed it before "
                f"this one adopted it, the provider could not put back what the adoption "
                f"changed: {error.reason} This resource still manages the set; delete the "
                "stack again once the cause is gone."
            )
            raise
        label = replaced.manager_label
        claim.region = via(set(replaced.regions), api.home)  # the claim's may be gone
    stewards.write(claim, arn, ownership.handed_back_tags(marks, label))
    if replaced is not None:
        stewards.notes.drop(note_key)
    log.info(
        "handed the replication set back to the manager before this resource",
        extra={"arn": arn, "manager": label or previous, "restored": label is not None},
    )


def _shown(tags: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) + "}"
