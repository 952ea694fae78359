"""Customer managed keys: resolved and checked before any change sends them. Pure rules; the
KMS call is passed in (``provider.kms``).

Incident Manager user guide (data protection): a replica's key is a symmetric encryption key
whose material KMS made, in the replica's own Region, and enabled. A key that breaks this is
refused here, naming the Region, the key and the problem, before Incident Manager is called.
Aliases are resolved to the key they point to: that key is what is sent and compared, so an
alias that still names the same key changes nothing, and one re-pointed is a key change.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from .errors import InvalidProperties
from .spec import ReplicationSetSpec, is_alias


@dataclass(frozen=True)
class KeyFacts:
    """What DescribeKey says of a key."""

    arn: str
    state: str
    spec: str
    usage: str
    origin: str
    manager: str

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]


#: (region, key as given) -> facts, or None when KMS has no such key in that Region.
Describe = Callable[[str, str], KeyFacts | None]


def problem(facts: KeyFacts | None, region: str) -> str | None:
    """Why Incident Manager cannot use this key for ``region``; None when it can."""
    if facts is None:
        return f"does not exist in {region}"
    rules = (
        (facts.region == region, f"is in {facts.region}; Incident Manager needs a key in {region}"),
        (
            facts.manager == "CUSTOMER",
            "is an AWS managed key; use a customer managed key, or DefaultKey",
        ),
        (
            facts.spec == "SYMMETRIC_DEFAULT" and facts.usage == "ENCRYPT_DECRYPT",
            f"is a {facts.spec} key for {facts.usage}; Incident Manager needs a symmetric "
            "encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)",
        ),
        (
            facts.origin == "AWS_KMS",
            f"has key material of origin {facts.origin}; Incident Manager needs key material "
            "made by KMS (no imported material, no custom key store)",
        ),
        (facts.state == "Enabled", f"is {facts.state}; Incident Manager needs an enabled key"),
    )
    return next((broken for holds, broken in rules if not holds), None)


class Keys:
    """One request's view of KMS: each key described at most once."""

    def __init__(self, describe: Describe) -> None:
        self._describe = describe
        self._known: dict[tuple[str, str], KeyFacts | None] = {}

    def facts(self, region: str, key: str) -> KeyFacts | None:
        if (region, key) not in self._known:
            self._known[region, key] = self._describe(region, key)
        return self._known[region, key]

    def resolve(self, spec: ReplicationSetSpec) -> ReplicationSetSpec:
        """The spec with every alias replaced by the ARN of the key it points to."""
        regions = []
        for index, given in enumerate(spec.regions):
            if given.kms_key and is_alias(given.kms_key):
                found = self.facts(given.name, given.kms_key)
                if found is None:
                    raise InvalidProperties(
                        f"Regions[{index}].RegionConfiguration.SseKmsKeyId: alias "
                        f"{given.kms_key} names no key in {given.name}"
                    )
                given = replace(given, kms_key=found.arn)  # noqa: PLW2901
            regions.append(given)
        return replace(spec, regions=tuple(regions))

    def check(self, keys: Iterable[tuple[str, str | None]]) -> None:
        """Raise InvalidProperties for every (region, key) Incident Manager would refuse."""
        problems = [
            f"{region}: KMS key {key} {found}"
            for region, key in keys
            if key is not None and (found := problem(self.facts(region, key), region))
        ]
        if problems:
            raise InvalidProperties("Regions: " + "; ".join(problems))
