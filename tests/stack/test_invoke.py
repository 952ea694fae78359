"""`python -m local_cloudformation invoke`: an event through the real handler, no Docker."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provider.ownership import MANAGER, Resource
from tests.stack import in_process

ROOT = Path(__file__).parents[2]
EVENTS = ROOT / "events"


def invoke(
    *args: str, endpoint: str | None = None, stdin: str | None = None, separate: bool = False
) -> Any:
    """`python -m local_cloudformation invoke ARGS`: in this process unless asked."""
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    if not separate:
        return in_process.run(
            ["invoke", *args], {"AWS_ENDPOINT_URL": endpoint} if endpoint else {}, stdin
        )
    return subprocess.run(
        [sys.executable, "-m", "local_cloudformation", "invoke", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        input=stdin,
        timeout=120,
        check=False,
    )


def printed(stdout: str) -> tuple[dict[str, Any], Any]:
    """(the response CloudFormation receives, the emulator's set) as the command prints them."""
    response_text = stdout.split("Response CloudFormation receives:\n", 1)[1]
    response_text, state_text = response_text.split("Replication set in the emulator:\n", 1)
    return json.loads(response_text), json.loads(state_text)


def test_a_create_event_runs_in_process_and_prints_the_response_and_the_set() -> None:
    done = invoke("events/create.json")
    assert done.returncode == 0, done.stderr
    response, found = printed(done.stdout)
    event = json.loads((EVENTS / "create.json").read_text())
    assert response == {
        "Status": "SUCCESS",
        "Reason": "",
        "PhysicalResourceId": found["arn"],
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": "ReplicationSet",
        "NoEcho": False,
        "Data": {"Arn": found["arn"]},
    }
    assert found["status"] == "ACTIVE"
    manager = Resource(event["StackId"], "ReplicationSet").label  # who manages it, on the set
    assert found["tags"] == {"team": "sre", MANAGER: manager}
    assert '"message":"request succeeded"' in done.stderr  # the provider's logs, as Lambda's


def test_a_failing_event_exits_1_with_the_reason_and_no_set() -> None:
    done = invoke("--event-file", "events/create-bad-properties.json")
    assert done.returncode == 1
    response, found = printed(done.stdout)
    assert (response["Status"], response["Reason"]) == (
        "FAILED",
        "Regions: at most 3 regions, got 4",
    )
    assert found is None


def test_the_event_can_come_from_stdin() -> None:
    done = invoke("-", stdin=(EVENTS / "create.json").read_text())
    assert done.returncode == 0, done.stderr
    assert printed(done.stdout)[0]["Status"] == "SUCCESS"


def test_an_env_file_sets_the_functions_variables_as_sam_does(tmp_path: Path) -> None:
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"ProviderFunction": {"POWERTOOLS_LOG_LEVEL": "ERROR"}}))
    # a new process: the log level is read when the provider is first imported, as in Lambda
    done = invoke("events/create.json", "--env-file", str(env_file), separate=True)
    assert done.returncode == 0, done.stderr
    assert "request succeeded" not in done.stderr  # INFO lines are off


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.json",), "cannot invoke: cannot read missing.json: No such file or directory"),
        (("README.md",), "cannot invoke: Expecting value"),
    ],
)
def test_an_unreadable_event_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    done = invoke(*args)
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert done.stdout == ""


def test_events_run_in_order_against_a_kept_emulator(server: str) -> None:
    created = invoke("events/create.json", endpoint=server)
    assert created.returncode == 0, created.stderr
    arn = printed(created.stdout)[1]["arn"]

    added = invoke("events/update-add-region.json", endpoint=server)
    assert added.returncode == 0, added.stderr
    assert "is a sample: sending " + arn in added.stdout
    response, found = printed(added.stdout)
    assert response["PhysicalResourceId"] == arn
    assert sorted(found["regions"]) == ["us-east-1", "us-west-2"]

    deleted = invoke("events/delete.json", endpoint=server)
    assert deleted.returncode == 0, deleted.stderr
    assert printed(deleted.stdout) == (printed(deleted.stdout)[0], None)
    assert printed(deleted.stdout)[0]["PhysicalResourceId"] == arn


def test_an_update_event_without_a_server_says_what_its_sample_physical_id_means() -> None:
    done = invoke("events/update-add-region.json")
    assert done.returncode == 0, done.stderr
    assert "names no set here: this emulator has none, so the Update creates a new set" in (
        done.stdout
    )
