"""From the live set and the spec to an ordered list of actions, or a refusal. Pure: no I/O.

Regions change one at a time, as UpdateReplicationSet allows, ordered so the set never has
fewer than one region nor more than three: missing regions are added first, then regions whose
key changed are removed and added back with the new key, then extra regions are removed. Tags
come next (``aws:`` keys are never touched), deletion protection last.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import NotInPlace
from .spec import MAX_REGIONS, ReplicationSetSpec, key_id
from .state import LiveReplicationSet

RECREATE_NOTE = (
    "Replacing the replication set deletes all Incident Manager data with it (response plans, "
    "incidents, contacts), so the provider never does it on its own. Either keep the current "
    "setting, or delete the set yourself (set DeletionProtected: false, remove the resource "
    "from the stack) and create it anew."
)


@dataclass(frozen=True)
class AddRegion:
    name: str
    kms_key: str | None


@dataclass(frozen=True)
class RemoveRegion:
    name: str


@dataclass(frozen=True)
class TagSet:
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class UntagSet:
    keys: tuple[str, ...]


@dataclass(frozen=True)
class SetDeletionProtection:
    enabled: bool


Action = AddRegion | RemoveRegion | TagSet | UntagSet | SetDeletionProtection
RegionAction = AddRegion | RemoveRegion


def plan(live: LiveReplicationSet, spec: ReplicationSetSpec) -> list[Action]:
    """Every call needed to bring ``live`` to ``spec``; empty when they already agree."""
    if live.uses_customer_keys != spec.uses_customer_keys:
        have, want = _key_kind(live.uses_customer_keys), _key_kind(spec.uses_customer_keys)
        raise NotInPlace(
            f"Regions: the replication set uses {have} and the template asks for {want}; "
            f"Incident Manager cannot switch a set between the two in place. {RECREATE_NOTE}"
        )
    actions: list[Action] = list(region_actions(live.region_keys, spec.region_keys))
    actions += tag_actions(live.tags, spec.tags)
    if live.deletion_protected != spec.deletion_protected:
        actions.append(SetDeletionProtection(spec.deletion_protected))
    return actions


def region_actions(
    current: Mapping[str, str | None], wanted: Mapping[str, str | None]
) -> list[RegionAction]:
    """Add, replace, then remove regions, one at a time, within 1 to 3 regions throughout."""
    regions = dict(current)
    actions: list[RegionAction] = []
    for _ in range(4 * MAX_REGIONS + 4):  # each step fixes one region; this bound is never hit
        missing = [name for name in wanted if name not in regions]
        stale = [
            name
            for name in wanted
            if name in regions and key_id(regions[name]) != key_id(wanted[name])
        ]
        extra = sorted(name for name in regions if name not in wanted)
        action: RegionAction
        if missing and len(regions) < MAX_REGIONS:
            action = AddRegion(missing[0], wanted[missing[0]])
            regions[action.name] = action.kms_key
        elif stale and len(regions) > 1:
            action = RemoveRegion(stale[0])
            del regions[action.name]
        elif extra and len(regions) > 1:
            action = RemoveRegion(extra[0])
            del regions[action.name]
        elif not (missing or stale or extra):
            return actions
        else:
            raise NotInPlace(
                f"Regions: changing the key of {stale[0]}, the set's only "
                "region, needs the region removed and added back, and a replication set cannot "
                "be left without a region. Add a second region in this update (it can be "
                f"removed in a later one), or recreate the set. {RECREATE_NOTE}"
            )
        actions.append(action)
    raise AssertionError("region plan did not converge")  # pragma: no cover


def tag_actions(current: Mapping[str, str], wanted: Mapping[str, str]) -> list[Action]:
    """TagResource for new and changed tags, UntagResource for removed ones; aws: keys stay."""
    actions: list[Action] = []
    changed = tuple((k, v) for k, v in wanted.items() if current.get(k) != v)
    removed = tuple(sorted(k for k in current if k not in wanted and not k.startswith("aws:")))
    if changed:
        actions.append(TagSet(changed))
    if removed:
        actions.append(UntagSet(removed))
    return actions


def _key_kind(customer: bool) -> str:
    return "customer managed KMS keys" if customer else "the AWS owned key"
