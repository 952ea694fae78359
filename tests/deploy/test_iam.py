"""The provider's role grants exactly what its code calls, plus the documented dependencies."""

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).parents[2]

#: Permissions the code needs without naming them: each with the reason.
DEPENDENCIES = {
    "iam:CreateServiceLinkedRole": "the first CreateReplicationSet creates Incident Manager's role",
    "kms:CreateGrant": "Incident Manager takes a grant on a customer managed key",
    "logs:CreateLogStream": "the Lambda runtime writes the function's logs",
    "logs:PutLogEvents": "the Lambda runtime writes the function's logs",
    "dynamodb:UpdateItem": "Powertools' idempotency utility completes a step's record",
    "sqs:SendMessage": "Lambda sends an invocation that ended without returning to the queue",
}
#: Actions with no resource-level permissions, for which Resource "*" is required.
NO_RESOURCE_LEVEL = {"ssm-incidents:CreateReplicationSet", "ssm-incidents:ListReplicationSets"}
IAM_PREFIX = {
    "ssm-incidents": "ssm-incidents",
    "lambda": "lambda",
    "kms": "kms",
    "dynamodb": "dynamodb",
}
#: Modules whose client calls go to another service than ssm-incidents.
MODULE_SERVICE = {"kms.py": "kms", "records.py": "dynamodb"}
#: API operations whose IAM action has another name.
IAM_ACTION = {"lambda:Invoke": "lambda:InvokeFunction"}


def statements() -> list[dict[str, Any]]:
    """Every statement of the role's inline policies and of the policies attached to it."""
    resources = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"]
    documents = [p["PolicyDocument"] for p in resources["ProviderRole"]["Properties"]["Policies"]]
    documents += [
        r["Properties"]["PolicyDocument"]
        for r in resources.values()
        if r["Type"] == "AWS::IAM::RolePolicy"
        and r["Properties"]["RoleName"] == {"Ref": "ProviderRole"}
    ]
    return [statement for document in documents for statement in document["Statement"]]


def granted() -> set[str]:
    found: set[str] = set()
    for statement in statements():
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def calls_in(tree: ast.AST, default: str = "ssm-incidents") -> Iterator[tuple[str, str]]:
    """(service, API operation) of every boto3 client call in a module."""
    methods = {
        service: boto3.client(service, region_name="us-east-1").meta.method_to_api_mapping  # type: ignore[call-overload]
        for service in IAM_PREFIX
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, target = node.func.attr, node.func.value
        if method == "get_paginator" and isinstance(node.args[0], ast.Constant):
            yield default, methods[default][node.args[0].value]
        elif isinstance(target, ast.Call) and ast.unparse(target.func) == "boto3.client":
            service = target.args[0].value  # type: ignore[attr-defined]
            yield service, methods[service][method]
        elif method in methods[default]:
            yield default, methods[default][method]


def used() -> set[str]:
    return {
        IAM_ACTION.get(f"{IAM_PREFIX[service]}:{operation}", f"{IAM_PREFIX[service]}:{operation}")
        for path in (ROOT / "provider").glob("*.py")
        for service, operation in calls_in(
            ast.parse(path.read_text()), MODULE_SERVICE.get(path.name, "ssm-incidents")
        )
    }


def test_the_code_calls_the_replication_set_api_its_records_and_invokes_itself() -> None:
    assert used() == {
        "ssm-incidents:CreateReplicationSet",
        "ssm-incidents:ListReplicationSets",
        "ssm-incidents:GetReplicationSet",
        "ssm-incidents:UpdateReplicationSet",
        "ssm-incidents:UpdateDeletionProtection",
        "ssm-incidents:DeleteReplicationSet",
        "ssm-incidents:TagResource",
        "ssm-incidents:UntagResource",
        "ssm-incidents:ListTagsForResource",
        "lambda:InvokeFunction",
        "kms:DescribeKey",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",  # provider/records.py: a step's record completed once
        "dynamodb:DeleteItem",
    }


def test_every_call_is_granted_and_every_grant_is_used() -> None:
    needed = used() | set(DEPENDENCIES)
    assert granted() - needed == set(), "granted but never used"
    assert needed - granted() == set(), "used but not granted"


def test_no_wildcard_actions_and_star_resources_only_where_required() -> None:
    for statement in statements():
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert not any("*" in action for action in actions), statement
        if statement["Resource"] == "*":
            assert set(actions) <= NO_RESOURCE_LEVEL, statement


def test_service_linked_role_and_kms_are_scoped_by_condition() -> None:
    by_action = {
        a: s
        for s in statements()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert by_action["iam:CreateServiceLinkedRole"]["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "ssm-incidents.amazonaws.com"}
    }
    through_incident_manager = {
        "StringLike": {
            "kms:ViaService": ["ssm-incidents.*.amazonaws.com", "ssm-contacts.*.amazonaws.com"]
        }
    }
    assert by_action["kms:CreateGrant"]["Condition"] == through_incident_manager
    describe = [s for s in statements() if "kms:DescribeKey" in s["Action"]]
    assert [s.get("Condition") for s in describe] == [through_incident_manager, None]
    assert by_action["lambda:InvokeFunction"]["Resource"] == {
        "Fn::GetAtt": ["ProviderFunction", "Arn"]
    }


def test_the_records_table_is_granted_item_actions_only_on_itself() -> None:
    [records] = [s for s in statements() if s.get("Sid") == "OwnRecords"]
    assert records["Resource"] == {"Fn::GetAtt": ["RecordsTable", "Arn"]}
    assert sorted(records["Action"]) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
