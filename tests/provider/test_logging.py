"""Logs: JSON lines with the request's correlation keys, each within MAX_LOG_LINE, and never the
presigned URL's query."""

import io
import json

import pytest

from emulator import control
from local_cloudformation.protocol import SECRET_QUERY
from provider.logs import MAX_LOG_LINE, send_logs_to
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


FIVE_MIB = 5 * 1024 * 1024
RESPONSE_BUCKET = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ResponseURL", RESPONSE_BUCKET + "k" * FIVE_MIB),  # no query: redaction cuts nothing
        ("ResponseURL", RESPONSE_BUCKET + "k?X-Amz-Signature=" + "s" * FIVE_MIB),
        ("ResponseURL", "https://[" + "x" * FIVE_MIB),  # unparsable as well
        ("ResponseURL", "https://example.com/" + "\U0001f600" * FIVE_MIB),  # 12 bytes each
        ("StackId", "s" * FIVE_MIB),
        ("RequestId", "r" * FIVE_MIB),
        ("LogicalResourceId", "L" * FIVE_MIB),
        ("ResourceType", "Custom::" + "t" * FIVE_MIB),
        ("RequestType", "\u00e9" * FIVE_MIB),
        ("PhysicalResourceId", "p" * FIVE_MIB),
    ],
    ids=[
        "ResponseURL",
        "ResponseURL-query",
        "ResponseURL-unparsable",
        "ResponseURL-non-ascii",
        "StackId",
        "RequestId",
        "LogicalResourceId",
        "ResourceType",
        "RequestType",
        "PhysicalResourceId",
    ],
)
@pytest.mark.parametrize("removal_rule", ["removals-any-time"])
def test_a_field_of_5_mib_gives_no_log_line_over_the_bound(
    stack: Stack, logs: CapturedLogs, field: str, value: str
) -> None:
    """What Lambda writes to CloudWatch Logs for a forged event of megabytes: short lines."""
    lambdas_stdout = io.StringIO()
    previous = send_logs_to(lambdas_stdout)
    try:
        stack.invoke({**stack.event("Update", ONE_REGION, physical_id="p"), field: value})
    finally:
        send_logs_to(previous)
    lines = lambdas_stdout.getvalue().splitlines()
    assert any("refusing to send" in line or "answering FAILED" in line for line in lines)
    for line in lines:
        assert len(line.encode()) <= MAX_LOG_LINE, f"a log line of {len(line)} bytes"
        json.loads(line)
    everything = logs.everything.getvalue().splitlines()  # every library's records too
    assert everything and max(len(line.encode()) for line in everything) <= MAX_LOG_LINE
