"""Input rules of ssm-incidents exactly as botocore's service model states them.

botocore's client checks only required members and minimum lengths, and a caller can turn even
that off (``parameter_validation=False``); the service checks every constraint of the model
before it looks anything up. :func:`check_input` walks an operation's input shape and raises one
:class:`ValidationException` listing every violation, worded as AWS's JSON services word them
("Value ... at 'field' failed to satisfy constraint: Member must ...").

Patterns are whole-string matches (``re.fullmatch``): ``re.match`` with ``$`` would let a
trailing newline through. The tag patterns are kept as written: their ``+-/`` is a character
range, which admits a comma too.

Semantic rules the model cannot state (a Region name that no partition has) are here as well,
each named with its source.
"""

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.loaders import create_loader
from botocore.model import ServiceModel, Shape

from .exceptions import ValidationException

SERVICE_NAME = "ssm-incidents"


@cache
def service_model() -> ServiceModel:
    """botocore's model of ssm-incidents: the source of every rule in :func:`check_input`."""
    return ServiceModel(create_loader().load_service_model(SERVICE_NAME, "service-2"))


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@cache
def region_partitions() -> dict[str, str]:
    """Every Region name of every partition botocore knows (endpoints.json), with its
    partition.

    Source: the API reference's RegionName is "the Region name to add"; a name no partition has
    cannot be one, and the service refuses it (assumed wording of the message). A replication
    set lives in one partition (its ARN names it), so a Region of another is refused too.
    """
    endpoints = create_loader().load_data("endpoints")
    return {
        region: partition["partition"]
        for partition in endpoints["partitions"]
        for region in partition["regions"]
    }


def aws_region_names() -> frozenset[str]:
    return frozenset(region_partitions())


def check_input(operation: str, params: Mapping[str, Any]) -> None:
    """Raise ValidationException naming every member of ``params`` that breaks the model."""
    shape = service_model().operation_model(operation).input_shape
    problems: list[str] = []
    if shape is not None:
        _check(shape, params, "", problems)
    if problems:
        count = (
            "1 validation error"
            if len(problems) == 1
            else f"{len(problems)} validation errors"
        )
        raise ValidationException(f"{count} detected: " + "; ".join(problems))


def check_region_name(name: str, field: str, partition: str = "aws") -> None:
    found = region_partitions().get(name)
    if found is None:
        raise ValidationException(
            f"Invalid Region name at '{field}': {name!r} is not an AWS Region"
        )
    if found != partition:
        raise ValidationException(
            f"Invalid Region name at '{field}': {name!r} is a Region of partition {found}, "
            f"and this replication set is in partition {partition}"
        )


def _violation(field: str, rule: str, value: object) -> str:
    shown = "null" if value is None else repr(_short(value))
    return f"Value {shown} at '{field}' failed to satisfy constraint: {rule}"


def _short(value: object) -> object:
    text = value if isinstance(value, str) else None
    return text[:64] + "..." if text is not None and len(text) > 64 else value


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    metadata = shape.metadata
    if kind == "structure":
        _check_structure(shape, value, path, problems)
    elif kind == "string":
        _check_string(metadata, value, path, problems)
    elif kind in ("integer", "long"):
        _check_number(metadata, value, path, problems)
    elif kind == "list":
        _check_size(metadata, value, path, problems)
        for index, item in enumerate(value or []):
            _check(shape.member, item, f"{path}.{index + 1}.member", problems)  # type: ignore[attr-defined]
    elif kind == "map":
        _check_size(metadata, value, path, problems)
        for key, item in (value or {}).items():
            inner: list[str] = []
            _check(shape.key, key, path, inner)  # type: ignore[attr-defined]
            if inner:
                problems.append(_violation(path, _rules("Map keys", inner), key))
            inner = []
            _check(shape.value, item, f"{path}.{key}", inner)  # type: ignore[attr-defined]
            problems.extend(inner)


def _rules(what: str, inner: list[str]) -> str:
    rules = [line.split("failed to satisfy constraint: ", 1)[-1] for line in inner]
    return f"{what} must satisfy constraint: [{', '.join(rules)}]"


def _check_structure(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    members = shape.members  # type: ignore[attr-defined]
    given = value if isinstance(value, Mapping) else {}
    prefix = f"{path}." if path else ""
    for name in shape.required_members:
        if given.get(name) is None:
            problems.append(
                _violation(f"{prefix}{name}", "Member must not be null", None)
            )
    if (
        shape.metadata.get("union")
        and len([v for v in given.values() if v is not None]) != 1
    ):
        # The model marks the action a union: exactly one member is set (assumed wording).
        problems.append(
            _violation(
                path, f"Member must have exactly one of {', '.join(members)} set", None
            )
        )
    for name, member in members.items():
        if given.get(name) is not None:
            _check(member, given[name], f"{prefix}{name}", problems)


def _check_string(
    metadata: Mapping[str, Any], value: Any, path: str, problems: list[str]
) -> None:
    if not isinstance(value, str):
        problems.append(_violation(path, "Member must be a string", value))
        return
    if "max" in metadata and len(value) > metadata["max"]:
        rule = f"Member must have length less than or equal to {metadata['max']}"
        problems.append(_violation(path, rule, value))
    if len(value) < metadata.get("min", 0):
        rule = f"Member must have length greater than or equal to {metadata['min']}"
        problems.append(_violation(path, rule, value))
    pattern = metadata.get("pattern")
    if pattern and not _compiled(pattern).fullmatch(value):
        rule = f"Member must satisfy regular expression pattern: {pattern}"
        problems.append(_violation(path, rule, value))


def _check_number(
    metadata: Mapping[str, Any], value: Any, path: str, problems: list[str]
) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(_violation(path, "Member must be an integer", value))
        return
    if "max" in metadata and value > metadata["max"]:
        problems.append(
            _violation(
                path,
                f"Member must have value less than or equal to {metadata['max']}",
                value,
            )
        )
    if "min" in metadata and value < metadata["min"]:
        problems.append(
            _violation(
                path,
                f"Member must have value greater than or equal to {metadata['min']}",
                value,
            )
        )


def _check_size(
    metadata: Mapping[str, Any], value: Any, path: str, problems: list[str]
) -> None:
    size = len(value or ())
    if "max" in metadata and size > metadata["max"]:
        rule = f"Member must have length less than or equal to {metadata['max']}"
        problems.append(_violation(path, rule, f"{size} items"))
    if size < metadata.get("min", 0):
        rule = f"Member must have length greater than or equal to {metadata['min']}"
        problems.append(_violation(path, rule, f"{size} items"))
