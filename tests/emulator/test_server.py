"""Server mode answers boto3 and the AWS CLI on 127.0.0.1, for ssm-incidents and moto's own KMS."""

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import boto3
import pytest

from emulator import server
from emulator.server import EmulatorServer


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    running: EmulatorServer = server.start(port=0)
    yield running.url
    running.stop()


@pytest.fixture(autouse=True)
def _fresh(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


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


@pytest.mark.parametrize("access_log", [False, True])
def test_serve_prints_a_line_per_request_only_when_asked(access_log: bool) -> None:
    command = [sys.executable, "-m", "emulator", "serve", "--port", "0"]
    process = subprocess.Popen(
        command + (["--access-log"] if access_log else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.split(" on ", 1)[1].split()[0]
        urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=10).read()
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert ('"GET /moto-api/data.json' in errors) is access_log
