"""From the live set and the spec to an ordered list of actions, or a refusal. Pure: no I/O.

The order keeps a failed update undoable: what can fail without touching Regions comes first
(tags, turning deletion protection off), then Region removals, then additions, deletion
protection turned on last. Incident Manager may refuse to remove a Region within 24 hours of
adding it, so an update whose last steps add Regions leaves its rollback the least to undo.

Regions change one at a time, as UpdateReplicationSet allows, and the set never has fewer than
one Region nor more than three. Each action names the Region its call goes through (``via``):
Incident Manager answers for a set only in the set's Regions, so every call, and the wait after
it, goes through a Region that is in the set before and after that call, the provider's own
Region whenever it can. That is how the key of the provider's Region changes: removed and added
back through another Region.
"""

from collections.abc import Mapping

from .actions import (
    Action,
    AddRegion,
    RegionAction,
    RemoveRegion,
    SetDeletionProtection,
    TagSet,
    UntagSet,
)
from .errors import NotInPlace
from .live import LiveReplicationSet
from .ownership import template_tags
from .spec import MAX_REGIONS, ReplicationSetSpec, key_id

RECREATE_NOTE = (
    "Replacing the replication set deletes all Incident Manager data with it (response plans, "
    "incidents, contacts), so the provider never does it on its own. Either keep the current "
    "setting, or delete the set yourself (set DeletionProtected: false, remove the resource "
    "from the stack) and create it anew."
)


def plan(live: LiveReplicationSet, spec: ReplicationSetSpec, home: str) -> list[Action]:
    """Every call needed to bring ``live`` to ``spec``; empty when they already agree.

    ``home`` is the provider's Region: never removed (the spec includes it), and the Region
    calls go through whenever it is in the set.
    """
    if live.uses_customer_keys != spec.uses_customer_keys:
        have, want = _key_kind(live.uses_customer_keys), _key_kind(spec.uses_customer_keys)
        raise NotInPlace(
            f"Regions: the replication set uses {have} and the template asks for {want}; "
            f"Incident Manager cannot switch a set between the two in place. {RECREATE_NOTE}"
        )
    if live.tags is None:
        raise ValueError("plan needs the live set's tags (ListTagsForResource)")
    first = via(set(live.regions), home)
    # The provider's own marks (who manages the set) are not the template's: left as they are.
    actions: list[Action] = list(tag_actions(template_tags(live.tags), spec.tags, first))
    if live.deletion_protected and not spec.deletion_protected:
        actions.append(SetDeletionProtection(False, first))
    actions += region_actions(live.region_keys, spec.region_keys, home)
    if spec.deletion_protected and not live.deletion_protected:
        actions.append(SetDeletionProtection(True, via(set(spec.region_names), home)))
    return actions


def via(regions: set[str], home: str) -> str:
    """The Region to call through: the provider's own when the set is in it."""
    return home if home in regions else min(regions)


def region_actions(
    current: Mapping[str, str | None], wanted: Mapping[str, str | None], home: str
) -> list[RegionAction]:
    """Remove, then add, regions one at a time, within 1 to 3 regions throughout."""
    regions = dict(current)
    actions: list[RegionAction] = []
    for _ in range(4 * MAX_REGIONS + 4):  # each step fixes one region; this bound is never hit
        missing = sorted((name for name in wanted if name not in regions), key=lambda n: n != home)
        stale = [
            name
            for name in wanted
            if name in regions and key_id(regions[name]) != key_id(wanted[name])
        ]
        extra = sorted(name for name in regions if name not in wanted)
        # Regions whose key changes go first, extra ones last: an extra Region can relay the
        # calls that remove and re-add the others (the provider's own Region among them).
        removable = sorted(stale, key=lambda n: n == home) + extra
        action: RegionAction
        if removable and len(regions) > 1:
            name = removable[0]
            action = RemoveRegion(name, via(set(regions) - {name}, home))
            del regions[name]
        elif missing and len(regions) < MAX_REGIONS:
            action = AddRegion(missing[0], wanted[missing[0]], via(set(regions), home))
            regions[action.name] = action.kms_key
        elif not (missing or removable):
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


def tag_actions(
    current: Mapping[str, str], wanted: Mapping[str, str], through: str = ""
) -> list[Action]:
    """UntagResource for removed tags, then TagResource for new and changed ones; aws: keys
    stay. Untagging first keeps the set within the 50-tag limit throughout (renaming a tag of
    a set at the limit, 47 of the template's and the provider's own, would otherwise go over
    it for a moment, and TagResource would refuse it)."""
    actions: list[Action] = []
    changed = tuple((k, v) for k, v in wanted.items() if current.get(k) != v)
    removed = tuple(sorted(k for k in current if k not in wanted and not k.startswith("aws:")))
    if removed:
        actions.append(UntagSet(removed, through))
    if changed:
        actions.append(TagSet(changed, through))
    return actions


def _key_kind(customer: bool) -> str:
    return "customer managed KMS keys" if customer else "the AWS owned key"
