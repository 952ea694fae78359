"""Server mode answers boto3 and the AWS CLI on 127.0.0.1, for ssm-incidents and moto's own KMS."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from botocore.config import Config

from emulator import server
from emulator.remote import Controls
from emulator.server import EmulatorServer
from tests.aws_errors import raises_aws

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    running: EmulatorServer = server.start(port=0)
    yield running.url
    running.stop()


@pytest.fixture(autouse=True)
def _fresh(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    Controls(endpoint).clear_faults()
    Controls(endpoint).reset_call_counts()


def test_a_fault_injected_at_the_server_reaches_boto3_and_the_backend_never_sees_it(
    endpoint: str,
) -> None:
    controls = Controls(endpoint)
    controls.inject_fault("CreateReplicationSet", "ThrottlingException", message="slow down")
    incidents = boto3.client(
        "ssm-incidents", region_name="us-east-1", endpoint_url=endpoint, config=NO_RETRY
    )
    with raises_aws("ThrottlingException", 429, "slow down") as caught:
        incidents.create_replication_set(regions={"us-east-1": {}})
    assert caught.value.response["quotaCode"] == "requests-per-second"  # type: ignore[typeddict-item]
    assert incidents.list_replication_sets()["replicationSetArns"] == []
    assert controls.call_counts() == {"CreateReplicationSet": 1, "ListReplicationSets": 1}
    controls.reset_call_counts()
    assert controls.call_counts() == {}


def test_the_server_refuses_a_fault_the_model_does_not_declare(endpoint: str) -> None:
    with pytest.raises(ValueError, match=r"GetReplicationSet answers only \["):
        Controls(endpoint).inject_fault("GetReplicationSet", "ConflictException")
    with pytest.raises(ValueError, match="unknown ssm-incidents operation"):
        Controls(endpoint).inject_fault("CreateReplicationSets", "ThrottlingException")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{}", "missing member 'operation'"),
        (b"[1]", "expected a JSON object with operation and code"),
        (b'{"operation": "ListReplicationSets", "code": "ThrottlingException", "cout": 5}',
         "unknown member(s) ['cout']"),
        (b'{"operation": "ListReplicationSets", "code": "ThrottlingException", "count": "2"}',
         "'count' must be a JSON int, got '2'"),
        (b"{", "Expecting property name"),
    ],
    ids=["empty", "not-an-object", "unknown-member", "count-as-string", "not-json"],
)  # fmt: skip
def test_a_fault_request_the_server_cannot_read_is_refused_naming_the_problem(
    endpoint: str, body: bytes, problem: str
) -> None:
    request = urllib.request.Request(f"{endpoint}/emulator-api/faults", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 400
    assert problem in json.loads(refused.value.read())["message"]
    assert Controls(endpoint).call_counts() == {}


def test_moto_s_reset_clears_the_servers_faults_and_counts(endpoint: str) -> None:
    controls = Controls(endpoint)
    controls.inject_fault("ListReplicationSets", "AccessDeniedException")
    incidents = boto3.client("ssm-incidents", region_name="us-east-1", endpoint_url=endpoint)
    incidents.get_paginator("list_replication_sets")  # no call
    controls.reset()
    assert incidents.list_replication_sets()["replicationSetArns"] == []
    assert controls.call_counts() == {"ListReplicationSets": 1}


def test_moto_s_state_manager_api_slows_the_transitions_of_the_server(endpoint: str) -> None:
    body = {
        "model_name": "ssm-incidents::replication-set",
        "transition": {"progression": "manual", "times": 2},
    }
    request = urllib.request.Request(
        f"{endpoint}/moto-api/state-manager/set-transition",
        data=json.dumps(body).encode(),
        method="POST",
    )
    urllib.request.urlopen(request).read()
    incidents = boto3.client("ssm-incidents", region_name="us-east-1", endpoint_url=endpoint)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    reads = [incidents.get_replication_set(arn=arn)["replicationSet"]["status"] for _ in "ab"]
    assert reads == ["CREATING", "ACTIVE"]


def test_boto3_creates_a_set_with_a_kms_key_through_the_server(endpoint: str) -> None:
    kms = boto3.client("kms", region_name="us-east-2", endpoint_url=endpoint)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    incidents = boto3.client("ssm-incidents", region_name="us-east-2", endpoint_url=endpoint)
    arn = incidents.create_replication_set(regions={"us-east-2": {"sseKmsKeyId": key}})["arn"]
    region_map = incidents.get_replication_set(arn=arn)["replicationSet"]["regionMap"]
    assert region_map["us-east-2"]["sseKmsKeyId"] == key


def test_aws_cli_lists_and_reads_the_set(endpoint: str) -> None:
    incidents = boto3.client("ssm-incidents", region_name="us-east-1", endpoint_url=endpoint)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]

    def aws(*args: str) -> dict[str, object]:
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1"}
        done = subprocess.run(
            [sys.executable, "-m", "awscli", "ssm-incidents", *args, "--output", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        )
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    assert aws("list-replication-sets") == {"replicationSetArns": [arn]}
    got = aws("get-replication-set", "--arn", arn)["replicationSet"]
    assert got["status"] == "ACTIVE"  # type: ignore[index]


def test_aws_cli_sees_the_set_only_in_its_own_regions(endpoint: str) -> None:
    incidents = boto3.client("ssm-incidents", region_name="us-east-1", endpoint_url=endpoint)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "awscli", "ssm-incidents", *args, "--output", "json"]
        return subprocess.run(
            command, check=False, capture_output=True, text=True, env=env, timeout=60
        )

    elsewhere = aws("get-replication-set", "--arn", arn, "--region", "eu-west-1")
    assert elsewhere.returncode == 255  # AWS CLI v1: any service error
    assert "ResourceNotFoundException" in elsewhere.stderr
    assert json.loads(aws("list-replication-sets", "--region", "eu-west-1").stdout) == {
        "replicationSetArns": [arn]
    }
    home = aws("get-replication-set", "--arn", arn, "--region", "us-east-1")
    assert json.loads(home.stdout)["replicationSet"]["arn"] == arn


@contextmanager
def serving(*options: str) -> Iterator[tuple[str, list[str]]]:
    """``python -m emulator serve`` in another process: its URL, then (once it stopped) the
    lines it wrote to stderr."""
    command = [sys.executable, "-m", "emulator", "serve", "--port", "0", *options]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    errors: list[str] = []
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split(" on ", 1)[1].split()[0], errors
    finally:
        process.terminate()
        errors.extend(process.communicate(timeout=30)[1].splitlines())


@pytest.mark.parametrize("access_log", [False, True])
def test_serve_prints_a_line_per_request_only_when_asked(access_log: bool) -> None:
    with serving(*(["--access-log"] if access_log else [])) as (url, errors):
        urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=10).read()
    assert any('"GET /moto-api/data.json' in line for line in errors) is access_log


def test_serve_options_slow_transitions_and_keep_young_regions_in_another_process() -> None:
    options = ["--transition-seconds", "1", "--region-removal-min-age", "600"]
    with serving(*options) as (url, _):
        incidents = boto3.client(
            "ssm-incidents", region_name="us-east-1", endpoint_url=url, config=NO_RETRY
        )
        arn = incidents.create_replication_set(regions={"us-east-1": {}, "us-east-2": {}})["arn"]
        assert incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "CREATING"
        Controls(url).inject_fault("ListReplicationSets", "InternalServerException")
        with raises_aws("InternalServerException", 500):
            incidents.list_replication_sets()
        assert Controls(url).call_counts()["ListReplicationSets"] == 1
        deadline = 50
        while incidents.get_replication_set(arn=arn)["replicationSet"]["status"] != "ACTIVE":
            deadline -= 1
            assert deadline, "the set never became ACTIVE"
            time.sleep(0.1)
        remove = [{"deleteRegionAction": {"regionName": "us-east-2"}}]
        with raises_aws("ValidationException", 400, "600 seconds after it was created"):
            incidents.update_replication_set(arn=arn, actions=remove)  # type: ignore[arg-type]
