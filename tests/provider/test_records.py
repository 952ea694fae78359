"""The provider's records: what the table holds after a request, and what happens without it."""

import json
from typing import Any

import boto3
import pytest

from emulator import control
from local_cloudformation.provider_stack import TABLE_VARIABLE
from provider.settings import settings
from tests.provider.conftest import Stack, success
from tests.provider.test_create import ONE_REGION, all_sets

#: Region removals play no part here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


def items() -> dict[str, dict[str, Any]]:
    table = settings().idempotency_table
    found = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=table)["Items"]
    return {str(item["id"]["S"]): item for item in found}


def test_a_create_leaves_its_answer_and_the_sets_manager_in_the_table(stack: Stack) -> None:
    event = stack.event("Create", ONE_REGION)
    response = stack.send(event)
    arn = response["PhysicalResourceId"]
    records = items()
    [step] = [item for key, item in records.items() if key.startswith("request#")]
    assert step["status"] == {"S": "COMPLETED"}
    assert json.loads(step["data"]["S"]) == {"answer": success(event, arn)}
    assert "expiration" in step  # DynamoDB's TTL attribute (template.yaml)
    owner = records[f"owner#{arn}"]
    assert owner["owners"] == {
        "L": [{"M": {"stack_id": {"S": event["StackId"]}, "logical_id": {"S": "ReplicationSet"}}}]
    }
    stack.delete(arn)
    gone = items()[f"owner#{arn}"]["owners"]  # the set is gone, and its record says so
    assert gone == {"L": [{"M": {"stack_id": {"S": ""}, "logical_id": {"S": "(deleted)"}}}]}


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        (TABLE_VARIABLE, "", "PROVIDER_IDEMPOTENCY_TABLE is not set on the provider function"),
        (
            TABLE_VARIABLE,
            "no-such-table",
            "The provider could not use its records table no-such-table (ResourceNotFound",
        ),
        ("POWERTOOLS_IDEMPOTENCY_DISABLED", "true", "POWERTOOLS_IDEMPOTENCY_DISABLED is set"),
        ("POWERTOOLS_IDEMPOTENCY_DISABLED", "yes", "POWERTOOLS_IDEMPOTENCY_DISABLED is set"),
        ("POWERTOOLS_IDEMPOTENCY_DISABLED", "enabled", "POWERTOOLS_IDEMPOTENCY_DISABLED is set"),
    ],
)
def test_without_its_records_the_provider_changes_nothing_and_says_why(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)
    settings.cache_clear()
    stack.runtime.records = type(stack.runtime)().records  # built anew from this environment
    response = stack.create(ONE_REGION)
    assert response["Status"] == "FAILED" and response["Reason"].startswith(reason)
    assert control.call_counts() == {} and all_sets() == []
