"""What a change of the replication set is: one call each (``provider.plan`` orders them,
``provider.incidents`` makes them). Plain data.

Each action names the Region its call goes through (``via``): Incident Manager answers for a set
only in the set's Regions.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class AddRegion:
    name: str
    kms_key: str | None
    via: str = ""  # the Region the call goes through


@dataclass(frozen=True)
class RemoveRegion:
    name: str
    via: str = ""


@dataclass(frozen=True)
class TagSet:
    tags: tuple[tuple[str, str], ...]
    via: str = ""


@dataclass(frozen=True)
class UntagSet:
    keys: tuple[str, ...]
    via: str = ""


@dataclass(frozen=True)
class SetDeletionProtection:
    enabled: bool
    via: str = ""


Action = AddRegion | RemoveRegion | TagSet | UntagSet | SetDeletionProtection
RegionAction = AddRegion | RemoveRegion
