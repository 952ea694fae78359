"""The stack commands as a user runs them: separate processes against the emulator server,
events printed live, exit codes that say whether the operation did what was asked."""

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.server import EmulatorServer
from tests.stack.conftest import EXAMPLES

ROOT = Path(__file__).parents[2]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    running = EmulatorServer().start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", running.url)  # the provider inside calls the server
    running.with_stacks()
    urllib.request.urlopen(urllib.request.Request(f"{running.url}/moto-api/reset", method="POST"))
    yield running.url
    running.stop()


def stack(endpoint: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    command = [sys.executable, "-m", "emulator", "stack", *args]
    if endpoint:
        command += ["--endpoint-url", endpoint]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )


def test_deploy_update_delete_as_separate_commands(server: str) -> None:
    template = str(EXAMPLES / "with-response-plan.yaml")
    deployed = stack(server, "deploy", template, "--stack-name", "incidents")
    assert deployed.returncode == 0, deployed.stderr
    assert (
        "ReplicationSet         Custom::IncidentReplicationSet   CREATE_COMPLETE" in deployed.stdout
    )
    assert deployed.stdout.rstrip().endswith("CREATE_COMPLETE")

    updated = stack(
        server,
        "update",
        template,
        "--stack-name",
        "incidents",
        "--param",
        "SecondaryRegion=eu-west-1",
    )
    assert updated.returncode == 0, updated.stderr
    assert "UPDATE_COMPLETE" in updated.stdout

    deleted = stack(server, "delete", "--stack-name", "incidents")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.rstrip().endswith("DELETE_COMPLETE")

    again = stack(server, "delete", "--stack-name", "incidents")
    assert again.returncode == 2
    assert "does not exist" in again.stderr


def test_a_failed_operation_exits_non_zero(server: str) -> None:
    template = str(EXAMPLES / "replication-set.yaml")
    missing = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
    failed = stack(
        server, "deploy", template, "--stack-name", "bad", "--param", f"SecondaryKeyArn={missing}"
    )
    assert failed.returncode == 1
    assert "CREATE_FAILED" in failed.stdout and "ROLLBACK_COMPLETE" in failed.stdout


def test_deploy_without_a_server_runs_in_process(tmp_path: Path) -> None:
    done = stack(None, "deploy", str(EXAMPLES / "with-response-plan.yaml"))
    assert done.returncode == 0, done.stderr
    assert "in-process" in done.stdout and "CREATE_COMPLETE" in done.stdout
    refused = stack(None, "update", str(EXAMPLES / "with-response-plan.yaml"))
    assert refused.returncode == 2
    assert "python -m emulator serve" in refused.stderr
