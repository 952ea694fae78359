"""The lifecycle on a fake Incident Manager edge: which call goes through which Region.

The emulator would answer ResourceNotFound to a call made through the wrong Region; here the
fake records every call with its Region, so the rule reads plainly: each call goes through a
Region that is in the set when it is made, the provider's own whenever it can.
"""

from dataclasses import dataclass, field, replace
from typing import Any, cast

from provider import lifecycle
from provider.actions import Action, AddRegion, RemoveRegion
from provider.incidents import IncidentsApi, NotFound
from provider.keys import KeyFacts, Keys
from provider.live import LiveRegion, LiveReplicationSet
from provider.ownership import Resource, manager_tags
from provider.spec import RegionSpec, ReplicationSetSpec
from provider.stewards import Stewards
from provider.waiting import Budget

HOME, WEST = "us-east-1", "us-west-2"
ARN = "arn:aws:ssm-incidents::111122223333:replication-set/fake"
#: The resource the fake set's manager mark names: the one every test here updates as.
OWNER = Resource("stack-id", "ReplicationSet")


@dataclass
class FakeIncidents:
    """One replication set, always ACTIVE at once; every call recorded as (operation, Region)."""

    regions: dict[str, str | None]
    home: str = HOME
    calls: list[tuple[str, str]] = field(default_factory=list)

    def _seen_from(self, region: str) -> bool:
        return region in self.regions

    def existing_arn(self) -> str:
        self.calls.append(("ListReplicationSets", self.home))
        return ARN

    def status(self, arn: str, region: str) -> LiveReplicationSet | None:
        self.calls.append(("GetReplicationSet", region))
        if not self._seen_from(region):
            return None
        found = {name: LiveRegion(key, "ACTIVE") for name, key in self.regions.items()}
        return LiveReplicationSet(ARN, "ACTIVE", found)

    def find(self, arn: str, region: str) -> LiveReplicationSet:
        live = self.status(arn, region)
        if live is None:
            raise NotFound(arn)
        self.calls.append(("ListTagsForResource", region))
        return replace(live, tags=manager_tags(OWNER))

    def apply(self, arn: str, action: Action) -> None:
        assert self._seen_from(action.via), f"{action} called through {action.via}, not in the set"
        self.calls.append((type(action).__name__, action.via))
        if isinstance(action, AddRegion):
            self.regions[action.name] = action.kms_key
        elif isinstance(action, RemoveRegion):
            del self.regions[action.name]


def usable_key(region: str, key: str) -> KeyFacts:
    """Every key a usable customer managed key of its Region: keys are not the point here."""
    arn = f"arn:aws:kms:{region}:111122223333:key/{key}"
    return KeyFacts(arn, "Enabled", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "AWS_KMS", "CUSTOMER")


def budget() -> Budget:
    return Budget(
        deadline=1e12, remaining_ms=lambda: 900_000, clock=lambda: 0.0, sleep=lambda _: None
    )


def update(fake: FakeIncidents, wanted: dict[str, str | None], hints: tuple[str, ...]) -> None:
    spec = ReplicationSetSpec(tuple(RegionSpec(name, key) for name, key in wanted.items()))
    keys = Keys(usable_key)
    lifecycle.update(
        cast(IncidentsApi, fake),
        keys,
        spec,
        ARN,
        token="t",
        budget=budget(),
        resource=OWNER,
        owner=Stewards(cast(IncidentsApi, fake), MemoryNotes(), OWNER),
        hints=hints,
    )


def test_the_providers_region_changes_key_through_the_region_that_stays() -> None:
    fake = FakeIncidents({HOME: "k1", WEST: "kw"})
    update(fake, {HOME: "k2", WEST: "kw"}, (HOME, WEST))
    changes = [call for call in fake.calls if call[0] in ("AddRegion", "RemoveRegion")]
    assert changes == [("RemoveRegion", WEST), ("AddRegion", WEST)]
    assert fake.regions == {WEST: "kw", HOME: "k2"}
    # the reads after each change go through the same Region, the only one that sees it all along
    assert fake.calls[-1] == ("GetReplicationSet", WEST)


def test_a_set_that_left_the_providers_region_is_read_and_fixed_through_another() -> None:
    fake = FakeIncidents({WEST: None})
    update(fake, {HOME: None, WEST: None}, (HOME, WEST))
    assert fake.calls == [
        ("GetReplicationSet", HOME),  # not seen from home...
        ("ListReplicationSets", HOME),  # ...but it exists...
        ("GetReplicationSet", WEST),  # ...and answers in a Region the template names
        ("ListTagsForResource", WEST),
        ("AddRegion", WEST),
        ("GetReplicationSet", WEST),
    ]
    assert fake.regions == {WEST: None, HOME: None}


def test_every_call_of_a_wholesale_move_goes_through_a_region_of_the_set() -> None:
    fake = FakeIncidents({"ap-south-1": None, WEST: None, "eu-west-2": None})
    update(fake, {HOME: None, "eu-central-1": None}, ("ap-south-1",))
    assert sorted(fake.regions) == ["eu-central-1", HOME]
    made: list[Any] = [call for call in fake.calls if call[0] in ("AddRegion", "RemoveRegion")]
    assert len(made) == 5  # three removals, two additions; FakeIncidents.apply checks each Region


class MemoryNotes:
    """A resource's notes, in memory (provider.records keeps them in DynamoDB)."""

    def __init__(self) -> None:
        self.notes: dict[str, dict[str, Any]] = {}

    def keep(self, key: str, data: Any) -> None:
        self.notes[key] = dict(data)

    def recall(self, key: str) -> dict[str, Any] | None:
        return self.notes.get(key)

    def drop(self, key: str) -> None:
        self.notes.pop(key, None)

    def legacy_line(self, arn: str) -> list[tuple[str, str]] | None:
        return None

    def forget_legacy(self, arn: str) -> None:
        raise AssertionError("nothing to forget: no earlier version's line here")
