"""Every response body the emulator sends satisfies the service model's output shapes.

Checked on the raw JSON, not on what botocore parsed (its parser fills nothing in, so a missing
required member or an enum value the model does not know would pass unseen there)."""

import contextlib
import json
from collections.abc import Callable
from typing import Any

from botocore.model import OperationModel, Shape
from mypy_boto3_ssm_incidents import SSMIncidentsClient

from emulator import control
from emulator.ssmincidents.responses import IMPLEMENTED_OPERATIONS

OPERATIONS = IMPLEMENTED_OPERATIONS


def violations(shape: Shape, value: Any, path: str) -> list[str]:
    """What in ``value`` breaks ``shape``, one line each."""
    check = CHECKS.get(shape.type_name)
    return check(shape, value, path) if check else []


def structure_violations(shape: Any, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object"]
    found = [f"{path}.{m}: required, missing" for m in shape.required_members if m not in value]
    for name, member in value.items():
        if name not in shape.members:
            found.append(f"{path}.{name}: not in the model")
        else:
            found += violations(shape.members[name], member, f"{path}.{name}")
    return found


def map_violations(shape: Any, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected a map"]
    return [v for k, item in value.items() for v in violations(shape.value, item, f"{path}.{k}")]


def list_violations(shape: Any, value: Any, path: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{path}: expected a list"]
    return [
        v for i, item in enumerate(value) for v in violations(shape.member, item, f"{path}[{i}]")
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


def test_every_operation_and_error_body_matches_the_service_model(
    incidents: SSMIncidentsClient,
) -> None:
    seen: dict[str, list[str]] = {}

    def check(http_response: Any, model: OperationModel, **_: Any) -> None:
        body = json.loads(http_response.content or b"{}")
        if http_response.status_code >= 400:
            error: Any = model.service_model.shape_for(http_response.headers["x-amzn-errortype"])
            members = {k: v for k, v in body.items() if k in error.members}
            problems = violations(error, members, "error")
        elif model.output_shape is None:
            problems = [] if body == {} else [f"unexpected body {body}"]
        else:
            problems = violations(model.output_shape, body, model.name)
        seen.setdefault(model.name, []).extend(problems)

    incidents.meta.events.register("after-call.ssm-incidents", check)
    control.set_transition_seconds(10)
    arn = incidents.create_replication_set(regions={"us-east-1": {}}, tags={"a": "b"})["arn"]
    incidents.get_replication_set(arn=arn)  # CREATING
    control.advance_clock(10)
    incidents.update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "us-east-2"}}]
    )
    control.advance_clock(10)
    incidents.update_deletion_protection(arn=arn, deletionProtected=False)
    incidents.tag_resource(resourceArn=arn, tags={"c": "d"})
    incidents.untag_resource(resourceArn=arn, tagKeys=["a"])
    incidents.list_tags_for_resource(resourceArn=arn)
    incidents.list_replication_sets(maxResults=1)
    control.inject_fault("GetReplicationSet", "ThrottlingException")
    for call in (
        lambda: incidents.create_replication_set(regions={"us-west-2": {}}),
        lambda: incidents.get_replication_set(arn=arn),
    ):
        with contextlib.suppress(incidents.exceptions.ClientError):
            call()
    incidents.delete_replication_set(arn=arn)
    incidents.get_replication_set(arn=arn)  # DELETING

    assert set(seen) == OPERATIONS
    assert {op: problems for op, problems in seen.items() if problems} == {}
