"""Every input constraint of botocore's ssm-incidents model, derived from the model itself.

For each operation and each constrained member (required, length, size, pattern, range),
one request breaks exactly that constraint and must answer ValidationException naming the
member, before any lookup (the ARNs here name no set). A constraint added to the model
shows up here as a new case; a shape with a pattern and no sample below fails the test,
so none is missed.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape

from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from .helpers import OPERATIONS, raises_aws, unchecked_client

MODEL = botocore.session.get_session().get_service_model("ssm-incidents")
UNKNOWN_ARN = f"arn:aws:ssm-incidents::{DEFAULT_ACCOUNT_ID}:replication-set/unknown"
#: A valid value of each string shape that has a pattern (what the pattern is checked
#: against).
PATTERN_SAMPLES = {"Arn": UNKNOWN_ARN, "TagKey": "team", "TagValue": "sre"}
#: Valid requests of each operation, with every optional member set, that break nothing
#: (they reach the lookup); each union member (the two region actions) has a request of
#: its own.
VALID: dict[str, list[dict[str, Any]]] = {
    "CreateReplicationSet": [
        {
            "regions": {"us-east-1": {"sseKmsKeyId": "DefaultKey"}},
            "tags": {"team": "sre"},
            "clientToken": "token",
        }
    ],
    "GetReplicationSet": [{"arn": UNKNOWN_ARN}],
    "ListReplicationSets": [{"maxResults": 10, "nextToken": "token"}],
    "UpdateReplicationSet": [
        {
            "arn": UNKNOWN_ARN,
            "actions": [
                {"addRegionAction": {"regionName": "us-west-2", "sseKmsKeyId": "k"}}
            ],
            "clientToken": "token",
        },
        {
            "arn": UNKNOWN_ARN,
            "actions": [{"deleteRegionAction": {"regionName": "us-west-2"}}],
            "clientToken": "token",
        },
    ],
    "DeleteReplicationSet": [{"arn": UNKNOWN_ARN}],
    "UpdateDeletionProtection": [
        {"arn": UNKNOWN_ARN, "deletionProtected": True, "clientToken": "token"}
    ],
    "TagResource": [{"resourceArn": UNKNOWN_ARN, "tags": {"team": "sre"}}],
    "UntagResource": [{"resourceArn": UNKNOWN_ARN, "tagKeys": ["team"]}],
    "ListTagsForResource": [{"resourceArn": UNKNOWN_ARN}],
}
LONGER = "length less than or equal to"
SHORTER = "length greater than or equal to"


@dataclass(frozen=True)
class Case:
    operation: str
    member: str  # the field the error must name
    rule: str  # a fragment of the constraint's wording
    request: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.operation}:{self.member}:{self.rule}"


def case_id(case: Case) -> str:
    """Stable across processes (``hash()`` is salted per process, which pytest -n
    refuses)."""
    digest = hashlib.sha256(repr(case.request).encode()).hexdigest()[:6]
    return f"{case}:{digest}"


def _replace(request: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A deep copy of ``request`` with the value at ``path`` replaced (``...`` removes
    it)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy: Any = list(request) if isinstance(request, list) else dict(request)
    if rest:
        copy[head] = _replace(request[head], rest, value)
    elif value is ...:
        del copy[head]
    else:
        copy[head] = value
    return copy


def _get(request: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        try:
            request = request[part]
        except (KeyError, IndexError, TypeError):
            return None
    return request


@dataclass(frozen=True)
class At:
    """Where the walk is: the request being broken, and the member's path in it."""

    operation: str
    request: dict[str, Any]
    path: tuple[Any, ...] = ()
    name: str = ""
    in_query: bool = False

    def inner(self, key: Any, name: str, in_query: bool = False) -> "At":
        return At(self.operation, self.request, (*self.path, key), name, in_query)

    def case(self, rule: str, value: Any) -> Case:
        request = _replace(self.request, self.path, value)
        return Case(self.operation, self.name, rule, request)

    @property
    def value(self) -> Any:
        return _get(self.request, self.path)


def _cases_for(shape: Shape, at: At) -> Iterator[Case]:
    walk = {
        "structure": _structure_cases,
        "string": _string_cases,
        "integer": _integer_cases,
        "list": _list_cases,
        "map": _map_cases,
    }.get(shape.type_name)
    if walk:
        yield from walk(shape, at)


def _structure_cases(shape: Any, at: At) -> Iterator[Case]:
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        in_query = location == "querystring"
        inner = at.inner(name, f"{at.name}.{name}" if at.name else name, in_query)
        # boto3 cannot leave out a path member; without a required query-string
        # member the request names no operation, so it never reaches the service's
        # validation.
        if name in shape.required_members and location not in ("uri", "querystring"):
            yield inner.case("must not be null", ...)
        if inner.value is not None:
            yield from _cases_for(member, inner)


def _string_cases(shape: Shape, at: At) -> Iterator[Case]:
    meta = shape.metadata
    if "max" in meta:
        yield at.case(LONGER, "x" * (meta["max"] + 1))
    if meta.get("min", 0) > 0:
        yield at.case(SHORTER, "")
    if "pattern" in meta:
        sample = PATTERN_SAMPLES[shape.name]
        assert sample == at.value, f"a valid {shape.name} in VALID, please"
        # A trailing newline: re.match(...$) would let it through, the service does not.
        yield at.case("regular expression pattern", f"{at.value}\n")


def _integer_cases(shape: Shape, at: At) -> Iterator[Case]:
    if "max" in shape.metadata:
        yield at.case("value less than or equal to", shape.metadata["max"] + 1)
    if "min" in shape.metadata:
        yield at.case("value greater than or equal to", shape.metadata["min"] - 1)


def _list_cases(shape: Any, at: At) -> Iterator[Case]:
    meta, items = shape.metadata, at.value
    if "max" in meta:
        yield at.case(LONGER, [items[0]] * (meta["max"] + 1))
    if meta.get("min", 0) > 0 and not at.in_query:
        # An empty list in a query string is no parameter at all: the member is
        # missing (see _structure_cases).
        yield at.case(SHORTER, [])
    yield from _cases_for(shape.member, at.inner(0, f"{at.name}.1.member"))


def _map_cases(shape: Any, at: At) -> Iterator[Case]:
    meta, entries = shape.metadata, at.value
    first_key, first_value = next(iter(entries.items()))
    if "max" in meta:
        too_many = {f"{first_key}{i}"[:20]: first_value for i in range(meta["max"] + 1)}
        yield at.case(LONGER, too_many)
    if meta.get("min", 0) > 0:
        yield at.case(SHORTER, {})
    key_meta = shape.key.metadata
    if "max" in key_meta:
        yield at.case(
            "Map keys must satisfy", {"k" * (key_meta["max"] + 1): first_value}
        )
    if "pattern" in key_meta:
        yield at.case("Map keys must satisfy", {f"{first_key}\n": first_value})
    inner = at.inner(first_key, f"{at.name}.{first_key}")
    yield from _cases_for(shape.value, inner)


def cases() -> list[Case]:
    found: list[Case] = []
    for operation in OPERATIONS:
        shape = MODEL.operation_model(operation).input_shape
        assert shape is not None
        for request in VALID[operation]:
            missing = set(shape.members) - set(request)
            assert not missing, (
                f"VALID[{operation!r}] should set every member: {missing}"
            )
            found += _cases_for(shape, At(operation, request))
    unique = {(str(case), repr(case.request)): case for case in found}
    return [unique[key] for key in sorted(unique)]


CASES = cases()


def snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


def test_the_cases_cover_every_constraint_kind_of_the_model() -> None:
    rules = {case.rule for case in CASES}
    assert {
        "must not be null",
        "length less than or equal to",
        "length greater than or equal to",
        "regular expression pattern",
        "value less than or equal to",
        "value greater than or equal to",
        "Map keys must satisfy",
    } <= rules
    # ListTagsForResource's one member is a plain String in the URL path: nothing to
    # break.
    assert {case.operation for case in CASES} == set(OPERATIONS) - {
        "ListTagsForResource"
    }


@pytest.mark.parametrize("case", CASES, ids=case_id)
@mock_aws
def test_each_broken_constraint_is_a_validation_error_naming_the_member(
    case: Case,
) -> None:
    client = unchecked_client()
    method = getattr(client, snake(case.operation))
    with raises_aws("ValidationException", 400, f"at '{case.member}'", case.rule):
        method(**case.request)
    assert client.list_replication_sets()["replicationSetArns"] == []


@pytest.mark.parametrize(
    "operation", [op for op in OPERATIONS if op != "ListReplicationSets"]
)
@mock_aws
def test_the_valid_requests_reach_the_lookup(operation: str) -> None:
    """The base requests break nothing: what fails above is the one broken
    constraint."""
    method = getattr(unchecked_client(), snake(operation))
    for request in VALID[operation]:
        if operation == "CreateReplicationSet":
            assert method(**request)["arn"].startswith("arn:aws:ssm-incidents::")
            continue
        with raises_aws("ResourceNotFoundException", 404, UNKNOWN_ARN):
            method(**request)
