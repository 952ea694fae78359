"""Server-side input rules of ssm-incidents, from the service model and the API reference.

botocore checks only minimum lengths on the client; the service checks the rest. Each
function raises :class:`ValidationException` with a message that names the field.
"""

import re
from collections.abc import Iterable, Mapping
from functools import cache

from botocore.loaders import create_loader

from .exceptions import ValidationException

ARN_PATTERN = re.compile(r"^arn:aws(-cn|-us-gov)?:[a-z0-9-]*:[a-z0-9-]*:([0-9]{12})?:.+$")
# The service model's patterns as written: "+-/" is a range, so "," is allowed too.
TAG_KEY_PATTERN = re.compile(r"^(?!aws:)[A-Za-z0-9 _=@:.+-/]+$")
TAG_VALUE_PATTERN = re.compile(r"^[A-Za-z0-9 _=@:.+-/]*$")
MAX_REGIONS = 3
MAX_TAGS = 50
MAX_CLIENT_TOKEN = 128
MAX_ARN = 1000
MAX_REGION_NAME = 20
MAX_KMS_KEY = 2048


@cache
def aws_region_names() -> frozenset[str]:
    """Every region name of every partition botocore knows (endpoints.json)."""
    endpoints = create_loader().load_data("endpoints")
    return frozenset(
        region for partition in endpoints["partitions"] for region in partition["regions"]
    )


def fail(field: str, rule: str) -> ValidationException:
    return ValidationException(f"Value at '{field}' failed to satisfy constraint: {rule}")


def check_client_token(token: str | None) -> None:
    if token is not None and len(token) > MAX_CLIENT_TOKEN:
        raise fail(
            "clientToken", f"Member must have length less than or equal to {MAX_CLIENT_TOKEN}"
        )


def check_arn(arn: str | None, field: str = "arn") -> str:
    if not arn:
        raise fail(field, "Member must not be null")
    if len(arn) > MAX_ARN:
        raise fail(field, f"Member must have length less than or equal to {MAX_ARN}")
    if not ARN_PATTERN.match(arn):
        raise fail(field, f"Member must satisfy regular expression pattern: {ARN_PATTERN.pattern}")
    return arn


def check_region_name(name: str, field: str) -> None:
    if len(name) > MAX_REGION_NAME:
        raise fail(field, f"Member must have length less than or equal to {MAX_REGION_NAME}")
    if name not in aws_region_names():
        raise ValidationException(
            f"Invalid region name at '{field}': {name!r} is not an AWS Region"
        )


def check_kms_key_field(key: str | None, field: str) -> None:
    if key is not None and len(key) > MAX_KMS_KEY:
        raise fail(field, f"Member must have length less than or equal to {MAX_KMS_KEY}")


def check_regions(regions: Mapping[str, object] | None) -> None:
    if not regions:
        raise fail("regions", "Member must have at least 1 item")
    if len(regions) > MAX_REGIONS:
        raise fail("regions", f"Member must have at most {MAX_REGIONS} items, got {len(regions)}")
    for name in regions:
        check_region_name(name, f"regions.{name}")


def check_tag_keys(keys: Iterable[str], field: str) -> None:
    for key in keys:
        if not 1 <= len(key) <= 128:
            raise fail(f"{field}.{key}", "Tag key must have length between 1 and 128")
        if not TAG_KEY_PATTERN.match(key):
            raise fail(
                f"{field}.{key}",
                f"Tag key must satisfy regular expression pattern: {TAG_KEY_PATTERN.pattern}"
                " (the aws: prefix is reserved)",
            )


def check_tags(tags: Mapping[str, str] | None, field: str = "tags", minimum: int = 0) -> None:
    tags = tags or {}
    if len(tags) < minimum:
        raise fail(field, f"Member must have at least {minimum} item")
    if len(tags) > MAX_TAGS:
        raise fail(field, f"Member must have at most {MAX_TAGS} items, got {len(tags)}")
    check_tag_keys(tags, field)
    for key, value in tags.items():
        if len(value) > 256:
            raise fail(f"{field}.{key}", "Tag value must have length less than or equal to 256")
        if not TAG_VALUE_PATTERN.match(value):
            raise fail(
                f"{field}.{key}",
                f"Tag value must satisfy regular expression pattern: {TAG_VALUE_PATTERN.pattern}",
            )
