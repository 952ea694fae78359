"""The provider's records: what the table holds after a request, and what happens without it."""

import json
from typing import Any

import boto3
import pytest

from emulator import control
from local_cloudformation.provider_stack import TABLE_VARIABLE
from provider.settings import settings
from tests.provider.conftest import Stack, marked, success
from tests.provider.test_create import ONE_REGION, all_sets, replication_set
from tests.provider.test_one_effect import OTHER_STACK

#: Region removals play no part here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])


def items() -> dict[str, dict[str, Any]]:
    table = settings().idempotency_table
    found = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=table)["Items"]
    return {str(item["id"]["S"]): item for item in found}


def test_a_create_leaves_its_answer_in_the_table_and_its_manager_on_the_set(
    stack: Stack,
) -> None:
    event = stack.event("Create", ONE_REGION)
    response = stack.send(event)
    arn = response["PhysicalResourceId"]
    [(key, step)] = items().items()  # nothing but the step's record
    assert key.startswith("request#")
    assert step["status"] == {"S": "COMPLETED"}
    assert response == success(event, arn)
    stored = {"succeeded": {"physical_id": arn, "data": {"Arn": arn}}}
    assert json.loads(step["data"]["S"]) == stored
    assert "expiration" in step  # DynamoDB's TTL attribute (template.yaml)
    assert replication_set(arn)["tags"] == marked({})  # who manages it: on the set


def test_after_a_whole_lifecycle_every_item_in_the_table_expires(stack: Stack) -> None:
    """Creation, an adoption by another stack, an update refused to the first and its
    rollback, the adoption's rollback, the delete: the table keeps only what expires."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    adopt = {**ONE_REGION, "AdoptExisting": "true", "DeletionProtected": "true"}
    assert stack.create(adopt, stack_id=OTHER_STACK)["Status"] == "SUCCESS"
    wanted = {**ONE_REGION, "Tags": [{"Key": "team", "Value": "a"}]}
    assert stack.update(arn, wanted, ONE_REGION)["Status"] == "FAILED"
    assert stack.update(arn, ONE_REGION, wanted)["Status"] == "SUCCESS"  # its rollback
    back = stack.send(stack.event("Delete", adopt, physical_id=arn, stack_id=OTHER_STACK))
    assert back["Status"] == "SUCCESS"
    assert stack.delete(arn)["Status"] == "SUCCESS" and all_sets() == []
    kept = items()
    assert kept and all("expiration" in item for item in kept.values()), kept
    # the notes were consumed: the adoption's by its hand-back, the refusal's by its rollback
    assert {key.split("#")[0] for key in kept} == {"request"}


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
