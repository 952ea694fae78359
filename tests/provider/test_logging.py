"""Logs: JSON lines with the request's correlation keys, and never the presigned URL's query."""

from emulator import control
from local_cloudformation.protocol import SECRET_QUERY
from tests.provider.conftest import CapturedLogs, Stack
from tests.provider.test_create import ONE_REGION


def test_every_line_is_json_with_the_request_keys_and_no_presigned_query(
    stack: Stack, logs: CapturedLogs
) -> None:
    control.inject_fault("CreateReplicationSet", "ThrottlingException", count=1)
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    stack.delete(arn)
    stack.create({"Regions": []})
    lines = logs.json_lines()
    messages = [(line["RequestType"], line["message"].split(" to ")[0]) for line in lines]
    # each request logs its outcome, then its delivery; the throttled call is retried quietly
    assert [m for m in messages if m[1] != "handed off"] == [
        ("Create", "request succeeded"),
        ("Create", "sent SUCCESS response"),
        ("Delete", "request succeeded"),
        ("Delete", "sent SUCCESS response"),
        ("Create", "request failed"),
        ("Create", "sent FAILED response"),
    ]
    for line in lines:
        assert {"RequestType", "StackId", "LogicalResourceId", "RequestId"} <= line.keys(), line
        assert line["service"] == "incident-replication-set-provider"
    assert {line["RequestType"] for line in lines} == {"Create", "Delete"}
    everything = logs.provider.getvalue() + logs.everything.getvalue()
    assert "cloudformation-custom-resource-response" in everything  # the URL's path is logged...
    for secret in ("X-Amz-Signature", "X-Amz-Credential", SECRET_QUERY):
        assert secret not in everything  # ...its query string never
