"""The replication set as Incident Manager reports it: plain data, read by the plan."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

SETTLED = frozenset({"ACTIVE", "FAILED"})


@dataclass(frozen=True)
class LiveRegion:
    kms_key: str | None  # None: the AWS owned key (DefaultKey)
    status: str
    status_message: str | None = None
    status_updated: datetime | None = None  # for an ACTIVE Region: when it was added


@dataclass(frozen=True)
class LiveReplicationSet:
    arn: str
    status: str
    regions: Mapping[str, LiveRegion]
    deletion_protected: bool = False
    tags: Mapping[str, str] | None = None  # None: not read (GetReplicationSet has no tags)

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    @property
    def uses_customer_keys(self) -> bool:
        return any(r.kms_key is not None for r in self.regions.values())

    @property
    def region_keys(self) -> dict[str, str | None]:
        return {name: r.kms_key for name, r in self.regions.items()}

    def failure_summary(self) -> str:
        """The per-region status messages of a FAILED set, for a Reason."""
        parts = [
            f"{name}: {region.status}"
            + (f" ({region.status_message})" if region.status_message else "")
            for name, region in sorted(self.regions.items())
        ]
        return f"replication set {self.arn} is {self.status}: " + "; ".join(parts)
