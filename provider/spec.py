"""The resource's properties, parsed and validated into a frozen spec before any AWS call.

CloudFormation hands every scalar over as a string ("true", "3"), so booleans and numbers are
accepted in both forms. Every problem is reported at once, each as ``path: rule``::

    >>> home = "us-east-1"  # the Region the provider runs in, the stack's
    >>> parse_spec({"Regions": [{"RegionName": home}], "DeletionProtected": "true"}, home)
    ... # doctest: +NORMALIZE_WHITESPACE
    ReplicationSetSpec(regions=(RegionSpec(name='us-east-1', kms_key=None),),
        deletion_protected=True, tags={}, adopt_existing=False)
    >>> parse_spec({"Regions": [], "DeletionProtected": "maybe"}, home)
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    provider.errors.InvalidProperties: Regions: at least 1 region is required, got 0;
        DeletionProtected: expected true or false, got 'maybe'
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidProperties
from .ownership import RESERVED_PREFIX, RESERVED_TAGS

MAX_REGIONS = 3
#: Incident Manager allows 50 tags on the set; the provider keeps some for who manages it
#: (``provider.ownership``), so a template gives at most the rest.
MAX_TAGS = 50 - RESERVED_TAGS
DEFAULT_KEY = "DefaultKey"  # what a template may write for the AWS owned key
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
# The service model's patterns as written: "+-/" is a range, so "," is allowed too.
TAG_KEY = re.compile(r"^(?!aws:)[A-Za-z0-9 _=@:.+-/]+$")
TAG_VALUE = re.compile(r"^[A-Za-z0-9 _=@:.+-/]*$")
TAG_CHARACTERS = "A-Z a-z 0-9 space _ = @ : . + , - /"
#: The partitions Incident Manager's ARNs name (the service model's Arn pattern): the one
#: definition behind every ARN this provider recognises, its own sets' and KMS keys'.
PARTITION = r"aws(?:-cn|-us-gov)?"
REPLICATION_SET_ARN = re.compile(rf"arn:{PARTITION}:ssm-incidents::\d{{12}}:replication-set/.+")
KEY_ID = r"(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
ALIAS_NAME = r"alias/[a-zA-Z0-9/_-]{1,250}"
KEY_ARN = re.compile(rf"arn:{PARTITION}:kms:(?P<region>[a-z0-9-]+):\d{{12}}:key/{KEY_ID}")
ALIAS_ARN = re.compile(rf"arn:{PARTITION}:kms:(?P<region>[a-z0-9-]+):\d{{12}}:{ALIAS_NAME}")
KMS_KEY_FORMS = (re.compile(KEY_ID), re.compile(ALIAS_NAME), KEY_ARN, ALIAS_ARN)

#: A list far longer than allowed is refused with its length; only its first items are
#: examined one by one, so a huge list costs no more than a short one, and the Reason stays
#: readable.
EXAMINED = 10
#: KMS's own limit on a KeyId (a key ID, ARN, alias name or alias ARN).
MAX_KEY_LENGTH = 2048

#: Properties CloudFormation itself adds to every custom resource.
CLOUDFORMATION_PROPERTIES = frozenset({"ServiceToken", "ServiceTimeout"})
PROPERTIES = frozenset({"Regions", "DeletionProtected", "Tags", "AdoptExisting"})


def is_replication_set_arn(physical_id: str) -> bool:
    """Whether a physical ID names a replication set (else: a Create that failed early)."""
    return bool(REPLICATION_SET_ARN.fullmatch(physical_id))


def is_alias(key: str) -> bool:
    return key.startswith("alias/") or bool(ALIAS_ARN.fullmatch(key))


@dataclass(frozen=True)
class RegionSpec:
    name: str
    kms_key: str | None = None  # None: the AWS owned key; else a key ARN, key ID or alias


@dataclass(frozen=True)
class ReplicationSetSpec:
    regions: tuple[RegionSpec, ...]
    deletion_protected: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    adopt_existing: bool = False

    @property
    def uses_customer_keys(self) -> bool:
        return self.regions[0].kms_key is not None

    @property
    def region_keys(self) -> dict[str, str | None]:
        return {r.name: r.kms_key for r in self.regions}

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)


class _Problems:
    """Collects ``path: rule`` lines so one response can name every problem."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, rule: str) -> None:
        self.lines.append(f"{path}: {rule}")

    def raise_any(self) -> None:
        if self.lines:
            raise InvalidProperties("; ".join(self.lines))


def parse_spec(properties: object, home_region: str) -> ReplicationSetSpec:
    """Validate ResourceProperties into a spec, or raise InvalidProperties naming each problem.

    ``home_region`` is the Region the provider runs in (the stack's): Incident Manager answers
    for a replication set only in the Regions it is in, so the set must include it.
    """
    problems = _Problems()
    if not isinstance(properties, Mapping):
        problems.add("ResourceProperties", f"expected an object, got {_kind(properties)}")
        problems.raise_any()
    assert isinstance(properties, Mapping)
    for name in _unknown(properties, PROPERTIES | CLOUDFORMATION_PROPERTIES):
        problems.add(name, f"unknown property; expected one of {', '.join(sorted(PROPERTIES))}")
    regions = _regions(properties.get("Regions"), problems)
    if regions and home_region not in {r.name for r in regions}:
        problems.add(
            "Regions",
            f"must include {home_region or 'the Region the provider runs in'}, the Region of "
            "this stack and its provider: Incident Manager answers for a replication set only "
            "in the Regions it is in. Add it to Regions (to keep the set out of this Region, "
            "deploy the provider and the stack in one of the set's Regions)",
        )
    deletion_protected = _boolean(properties, "DeletionProtected", problems)
    tags = _tags(properties.get("Tags"), problems)
    adopt_existing = _boolean(properties, "AdoptExisting", problems)
    timeout = properties.get("ServiceTimeout")
    if timeout is not None and service_timeout(timeout) is None:
        problems.add(
            "ServiceTimeout", f"expected whole seconds from 1 to 3600, got {_shown(timeout)}"
        )
    problems.raise_any()
    return ReplicationSetSpec(regions, deletion_protected, tags, adopt_existing)


def _unknown(given: Mapping[str, Any], known: set[str] | frozenset[str]) -> list[str]:
    """The names ``given`` has beyond ``known``, sorted, shown ASCII; past EXAMINED, one line
    says how many more."""
    extra = [name for name in given if name not in known]
    shown = sorted(_shown(str(name), 64).strip("'") for name in extra[:EXAMINED])
    return shown + ([f"(and {len(extra) - EXAMINED} more)"] if len(extra) > EXAMINED else [])


def _shown(value: object, longest: int = 80) -> str:
    """A value for a Reason: its repr cut short, ASCII (a lone surrogate cannot break a log)."""
    shown = ascii(value)
    return shown if len(shown) <= longest else shown[:longest] + "..."


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _boolean(properties: Mapping[str, Any], name: str, problems: _Problems) -> bool:
    value = properties.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    problems.add(name, f"expected true or false, got {_shown(value)}")
    return False


def _regions(value: object, problems: _Problems) -> tuple[RegionSpec, ...]:
    if value is None:
        problems.add("Regions", "required: list 1 to 3 regions")
        return ()
    if not isinstance(value, list):
        problems.add("Regions", f"expected a list of regions, got {_kind(value)}")
        return ()
    if not value:
        problems.add("Regions", "at least 1 region is required, got 0")
    if len(value) > MAX_REGIONS:
        problems.add("Regions", f"at most {MAX_REGIONS} regions, got {len(value)}")
    regions: list[RegionSpec] = []
    seen: set[str] = set()
    unreadable_keys: set[str] = set()  # a key refused already: no "mix" to report for it
    for index, item in enumerate(value[:EXAMINED]):
        before = len(problems.lines)
        region = _region(item, f"Regions[{index}]", problems)
        if region is None:
            continue
        if len(problems.lines) > before and region.kms_key is None:
            unreadable_keys.add(region.name)
        if region.name in seen:
            problems.add(f"Regions[{index}].RegionName", f"{region.name} is listed twice")
            continue
        seen.add(region.name)
        wrong_region = _key_region_problem(region)
        if wrong_region:
            problems.add(f"Regions[{index}].RegionConfiguration.SseKmsKeyId", wrong_region)
        regions.append(region)
    customer = sorted(r.name for r in regions if r.kms_key)
    owned = sorted(r.name for r in regions if not r.kms_key and r.name not in unreadable_keys)
    if customer and owned:
        problems.add(
            "Regions",
            "use the AWS owned key in every region or a customer managed key in every region "
            f"(Incident Manager forbids a mix); got customer managed keys in {', '.join(customer)} "
            f"and the AWS owned key in {', '.join(owned)}",
        )
    return tuple(regions)


def _region(item: object, path: str, problems: _Problems) -> RegionSpec | None:
    if not isinstance(item, Mapping):
        problems.add(path, f"expected an object with RegionName, got {_kind(item)}")
        return None
    for unknown in _unknown(item, {"RegionName", "RegionConfiguration"}):
        problems.add(
            f"{path}.{unknown}", "unknown property; expected RegionName, RegionConfiguration"
        )
    name = item.get("RegionName")
    if not isinstance(name, str) or len(name) > 20 or not REGION_NAME.fullmatch(name):
        problems.add(
            f"{path}.RegionName", f"expected an AWS Region name like us-east-1, got {_shown(name)}"
        )
        name = None
    key = _kms_key(item.get("RegionConfiguration"), f"{path}.RegionConfiguration", problems)
    return RegionSpec(name, key) if name else None


def _kms_key(config: object, path: str, problems: _Problems) -> str | None:
    if config is None:
        return None
    if not isinstance(config, Mapping):
        problems.add(path, f"expected an object with SseKmsKeyId, got {_kind(config)}")
        return None
    for name in _unknown(config, {"SseKmsKeyId"}):
        problems.add(f"{path}.{name}", "unknown property; expected SseKmsKeyId")
    key = config.get("SseKmsKeyId")
    if key is None or key == DEFAULT_KEY:
        return None
    if (
        not isinstance(key, str)
        or len(key) > MAX_KEY_LENGTH
        or not any(form.fullmatch(key) for form in KMS_KEY_FORMS)
    ):
        problems.add(
            f"{path}.SseKmsKeyId",
            "expected a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), key ID, alias "
            f"(alias/NAME or its ARN), or DefaultKey, got {_shown(key)}",
        )
        return None
    return key


def _key_region_problem(region: RegionSpec) -> str | None:
    """A key ARN names its Region, which must be the replica's (a KMS key lives in one)."""
    found = KEY_ARN.fullmatch(region.kms_key or "") or ALIAS_ARN.fullmatch(region.kms_key or "")
    if found and found["region"] != region.name:
        return (
            f"the key is in {found['region']}; Incident Manager needs a key in {region.name}, "
            f"the Region it encrypts (a KMS key lives in one Region), got {region.kms_key}"
        )
    return None


def key_id(key: str | None) -> str | None:
    """The key ID a key ARN or key ID names: how the plan compares keys, whichever form the
    template and Incident Manager each use (aliases are resolved to keys before comparing)."""
    return key.rsplit(":key/", 1)[-1] if key else None


def _tags(value: object, problems: _Problems) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        problems.add("Tags", f"expected a list of Key/Value pairs, got {_kind(value)}")
        return {}
    if len(value) > MAX_TAGS:
        problems.add(
            "Tags",
            f"at most {MAX_TAGS} tags, got {len(value)} (Incident Manager allows 50; the "
            f"provider keeps {RESERVED_TAGS} for who manages the set)",
        )
    tags: dict[str, str] = {}
    for index, item in enumerate(value[: MAX_TAGS + EXAMINED]):
        path = f"Tags[{index}]"
        if not isinstance(item, Mapping) or set(item) != {"Key", "Value"}:
            problems.add(path, f"expected an object with exactly Key and Value, got {_shown(item)}")
            continue
        key, tag_value = item["Key"], item["Value"]
        if isinstance(tag_value, int | float) and not isinstance(tag_value, bool):
            tag_value = str(tag_value)
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or not TAG_KEY.fullmatch(key):
            problems.add(
                f"{path}.Key",
                f"expected 1 to 128 characters of {TAG_CHARACTERS} "
                f"not starting with aws: (reserved), got {_shown(key)}",
            )
            continue
        if key.startswith(RESERVED_PREFIX):
            problems.add(
                f"{path}.Key",
                f"keys starting with {RESERVED_PREFIX} are the provider's own (who manages the "
                f"set), got {_shown(key)}",
            )
            continue
        if (
            not isinstance(tag_value, str)
            or len(tag_value) > 256
            or not TAG_VALUE.fullmatch(tag_value)
        ):
            problems.add(
                f"{path}.Value",
                f"expected at most 256 characters of {TAG_CHARACTERS}, got {_shown(tag_value)}",
            )
            continue
        if key in tags:
            problems.add(f"{path}.Key", f"{key} is listed twice")
            continue
        tags[key] = tag_value
    return tags


def service_timeout(value: object) -> int | None:
    """CloudFormation's ServiceTimeout (whole seconds, 1 to 3600, a number or its string), or
    None when absent or not one: the one reading of it, for validation and for the deadline."""
    try:
        seconds = int(str(value))
    except ValueError:
        return None
    return seconds if 1 <= seconds <= 3600 else None
