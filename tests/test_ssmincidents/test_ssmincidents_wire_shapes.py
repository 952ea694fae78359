"""Every response body satisfies the service model's output and error shapes.

Checked on the raw JSON, not on what botocore parsed (its parser fills nothing in, so a
missing required member or an enum value the model does not know would pass unseen
there)."""

import contextlib
import json
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape

from moto import mock_aws

from .helpers import OPERATIONS, changes_end_after_reads, create_key, disable_key


def violations(shape: Shape, value: Any, path: str) -> list[str]:
    """What in ``value`` breaks ``shape``, one line each."""
    check = CHECKS.get(shape.type_name)
    return check(shape, value, path) if check else []


def structure_violations(shape: Any, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object"]
    found = [
        f"{path}.{name}: required, missing"
        for name in shape.required_members
        if name not in value
    ]
    for name, member in value.items():
        if name not in shape.members:
            found.append(f"{path}.{name}: not in the model")
        else:
            found += violations(shape.members[name], member, f"{path}.{name}")
    return found


def map_violations(shape: Any, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected a map"]
    return [
        problem
        for key, item in value.items()
        for problem in violations(shape.value, item, f"{path}.{key}")
    ]


def list_violations(shape: Any, value: Any, path: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{path}: expected a list"]
    return [
        problem
        for index, item in enumerate(value)
        for problem in violations(shape.member, item, f"{path}[{index}]")
    ]


def string_violations(shape: Any, value: Any, path: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{path}: expected a string"]
    if shape.enum and value not in shape.enum:
        return [f"{path}: {value!r} not one of {shape.enum}"]
    return []


def scalar_check(*types: type, expected: str) -> Callable[[Any, Any, str], list[str]]:
    def check(_: Any, value: Any, path: str) -> list[str]:
        return [] if isinstance(value, types) else [f"{path}: expected {expected}"]

    return check


CHECKS: dict[str, Callable[[Any, Any, str], list[str]]] = {
    "structure": structure_violations,
    "map": map_violations,
    "list": list_violations,
    "string": string_violations,
    "timestamp": scalar_check(int, float, expected="epoch seconds"),
    "boolean": scalar_check(bool, expected="a boolean"),
    "integer": scalar_check(int, expected="an integer"),
}


@mock_aws
def test_every_operation_and_error_body_matches_the_service_model() -> None:
    seen: dict[str, list[str]] = {}
    errors: set[str] = set()

    def check(http_response: Any, model: OperationModel, **_: Any) -> None:
        body = json.loads(http_response.content or b"{}")
        if http_response.status_code >= 400:
            code = http_response.headers["x-amzn-errortype"].split(":")[0]
            errors.add(code)
            error: Any = model.service_model.shape_for(code)
            members = {k: v for k, v in body.items() if k in error.members}
            problems = violations(error, members, code)
        elif model.output_shape is None:
            problems = [] if body == {} else [f"unexpected body {body}"]
        else:
            problems = violations(model.output_shape, body, model.name)
        seen.setdefault(model.name, []).extend(problems)

    east, east_2 = create_key("us-east-1"), create_key("us-east-2")
    client = boto3.client("ssm-incidents", region_name="us-east-1")
    client.meta.events.register("after-call.ssm-incidents", check)
    elsewhere = boto3.client("ssm-incidents", region_name="ap-south-1")
    elsewhere.meta.events.register("after-call.ssm-incidents", check)

    def refused(call: Callable[[], object]) -> None:
        with contextlib.suppress(ClientError):
            call()

    with changes_end_after_reads(2):
        arn = client.create_replication_set(
            regions={"us-east-1": {"sseKmsKeyId": east}}, tags={"a": "b"}
        )["arn"]
        client.get_replication_set(arn=arn)  # CREATING
        client.get_replication_set(arn=arn)  # ACTIVE
        client.update_replication_set(
            arn=arn,
            actions=[
                {"addRegionAction": {"regionName": "us-east-2", "sseKmsKeyId": east_2}}
            ],
        )
        client.get_replication_set(arn=arn)  # UPDATING, us-east-2 CREATING
        refused(lambda: client.tag_resource(resourceArn=arn, tags={"c": "d"}))
        disable_key(east_2)
        client.get_replication_set(arn=arn)  # FAILED, with a statusMessage
        client.update_deletion_protection(arn=arn, deletionProtected=False)
        client.list_tags_for_resource(resourceArn=arn)
        client.list_replication_sets(maxResults=1)
        refused(lambda: elsewhere.get_replication_set(arn=arn))
        refused(lambda: client.create_replication_set(regions={"us-east-1": {}}))
        refused(lambda: client.create_replication_set(regions={"us-west-2": {}}))
        client.delete_replication_set(arn=arn)
        client.get_replication_set(arn=arn)  # DELETING

    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    client.tag_resource(resourceArn=arn, tags={"c": "d"})
    client.untag_resource(resourceArn=arn, tagKeys=["c"])

    assert set(seen) == set(OPERATIONS)
    assert errors == {
        "ConflictException",
        "ResourceNotFoundException",
        "ServiceQuotaExceededException",
        "ValidationException",
    }
    assert {op: problems for op, problems in seen.items() if problems} == {}
