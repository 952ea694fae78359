"""A whole stack's life: create, update, a failed update and its rollback, delete."""

from emulator import control
from tests.provider.conftest import MakeKey, Stack, marked
from tests.provider.test_create import all_sets, replication_set


def test_create_update_failed_update_rollback_delete(stack: Stack, kms_key: MakeKey) -> None:
    keys = {r: kms_key(r) for r in ("us-east-1", "us-east-2", "us-west-2")}

    def region(name: str, key: str | None = None) -> dict[str, object]:
        return {"RegionName": name, "RegionConfiguration": {"SseKmsKeyId": key or keys[name]}}

    v1 = {
        "Regions": [region("us-east-1"), region("us-east-2")],
        "Tags": [{"Key": "env", "Value": "prod"}],
    }
    v2 = {
        "Regions": [region("us-east-1"), region("us-east-2"), region("us-west-2")],
        "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "sre"}],
    }
    bad_key = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
    v3 = {
        "Regions": [region("us-east-1"), region("us-east-2"), region("us-west-2", bad_key)],
        "Tags": [],
    }

    created = stack.create(v1)
    assert created["Status"] == "SUCCESS", created["Reason"]
    arn = created["PhysicalResourceId"]

    updated = stack.update(arn, v2, old=v1)
    assert (updated["Status"], updated["PhysicalResourceId"]) == ("SUCCESS", arn)
    assert sorted(replication_set(arn)["regionMap"]) == ["us-east-1", "us-east-2", "us-west-2"]

    control.reset_call_counts()
    failed = stack.update(arn, v3, old=v2)  # the new key does not exist: UPDATE_FAILED
    assert failed["Status"] == "FAILED"
    assert failed["Reason"] == f"Regions: us-west-2: KMS key {bad_key} does not exist in us-west-2"
    assert control.mutating_calls() == {}  # refused before any change

    rolled_back = stack.update(arn, v2, old=v3)  # UPDATE_ROLLBACK_IN_PROGRESS
    assert rolled_back["Status"] == "SUCCESS", rolled_back["Reason"]
    after = replication_set(arn)
    assert {n: r["sseKmsKeyId"] for n, r in after["regionMap"].items()} == keys
    assert after["tags"] == marked({"env": "prod", "team": "sre"})

    control.reset_call_counts()
    assert stack.delete(arn, v2)["Status"] == "SUCCESS"
    assert all_sets() == []
    # the claim that keeps an adoption from slipping in (provider.stewards), then the delete
    assert control.mutating_calls() == {"TagResource": 1, "DeleteReplicationSet": 1}
