"""The stack commands as a user runs them: separate processes against the emulator server,
events printed live, exit codes that say whether the operation did what was asked."""

import argparse
import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import boto3
import pytest

from local_cloudformation import cli
from tests.stack import in_process
from tests.stack.conftest import EXAMPLES, replication_set

ROOT = Path(__file__).parents[2]


def stack(
    endpoint: str | None, *args: str, separate_process: bool = False
) -> subprocess.CompletedProcess[str]:
    """`python -m local_cloudformation stack ARGS`: in this process unless asked."""
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    if "--stack-name" not in args and "--help" not in args and args:  # required, as in the
        args = (*args, "--stack-name", "local-stack")  # AWS CLI: a name for the tests' own
    argv = ["stack", *args] + (["--endpoint-url", endpoint] if endpoint else [])
    if not separate_process:
        return in_process.run(argv, {})
    return subprocess.run(
        [sys.executable, "-m", "local_cloudformation", *argv],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip


def test_deploy_update_delete_as_separate_commands(server: str) -> None:
    template = str(EXAMPLES / "with-response-plan.yaml")
    deployed = stack(server, "deploy", template, "--stack-name", "incidents", separate_process=True)
    assert deployed.returncode == 0, deployed.stderr
    assert (
        "ReplicationSet         Custom::IncidentReplicationSet   CREATE_COMPLETE" in deployed.stdout
    )
    assert "incidents              AWS::CloudFormation::Stack       CREATE_COMPLETE" in (
        deployed.stdout
    )
    outputs = deployed.stdout.split("Outputs:\n", 1)[1].splitlines()
    assert outputs[0].startswith("  ReplicationSetArn = arn:aws:ssm-incidents::123456789012:")
    assert outputs[1] == "  ResponsePlanArn = incidents-ResponsePlan"

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

    again = stack(server, "delete", "--stack-name", "incidents")  # as delete-stack: quietly
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


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
    assert "python -m local_cloudformation serve" in refused.stderr


def test_deploy_of_an_existing_stack_updates_it_and_keeps_unset_parameters(server: str) -> None:
    template = str(EXAMPLES / "with-response-plan.yaml")
    assert stack(server, "deploy", template, "--stack-name", "s").returncode == 0
    again = stack(
        server, "deploy", template, "--stack-name", "s", "--param", "SecondaryRegion=eu-west-1"
    )
    assert again.returncode == 0, again.stderr
    assert "s                      AWS::CloudFormation::Stack       UPDATE_COMPLETE" in again.stdout
    described = stack(server, "describe", "--stack-name", "s")
    assert described.returncode == 0, described.stderr
    lines = described.stdout.splitlines()
    assert lines[0] == "Stack s: UPDATE_COMPLETE"
    assert "  SecondaryRegion = eu-west-1" in lines
    assert any(
        line.startswith("  ReplicationSet         Custom::IncidentReplicationSet   arn:aws:")
        for line in lines
    )
    assert "Outputs:" in lines and "Last events:" in lines


def test_a_parameter_the_template_does_not_declare_is_refused(server: str) -> None:
    template = str(EXAMPLES / "with-response-plan.yaml")
    done = stack(server, "deploy", template, "--stack-name", "t", "--param", "Typo=x")
    assert done.returncode == 2
    assert done.stderr.strip() == "Parameters: [Typo] do not exist in the template"
    assert stack(server, "describe", "--stack-name", "t").returncode == 2  # nothing was made


def test_a_required_parameter_not_given_is_refused_before_anything_is_made() -> None:
    done = stack(None, "deploy", str(EXAMPLES / "replication-set.yaml"))
    assert done.returncode == 2
    assert done.stderr.strip() == "Parameters: [SecondaryKeyArn] must have values"
    assert "CREATE_IN_PROGRESS" not in done.stdout


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("missing.yaml", "cannot read the template missing.yaml: No such file or directory"),
        ("README.md", "Template format error: "),
    ],
)
def test_a_template_that_cannot_be_read_is_one_line_and_exit_2(template: str, message: str) -> None:
    done = stack(None, "deploy", template)
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_param_without_a_value_is_refused() -> None:
    template = str(EXAMPLES / "with-response-plan.yaml")
    done = stack(None, "deploy", template, "--param", "SecondaryRegion")
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "--parameter-overrides takes KEY=VALUE, got 'SecondaryRegion'",
    )


@pytest.mark.parametrize("command", ["deploy", "update", "delete", "describe"])
def test_each_command_has_its_own_help(command: str) -> None:
    done = stack(None, command, "--help")
    assert done.returncode == 0
    assert done.stdout.startswith(f"usage: python -m local_cloudformation stack {command}")
    for part in ("--stack-name", "--endpoint-url", "AWS_ENDPOINT_URL", "exit codes:"):
        assert part in done.stdout
    assert ("--parameter-overrides" in done.stdout) is (command in ("deploy", "update"))
    assert ("--retain-resources" in done.stdout) is (command == "delete")


def test_the_emulators_own_help_lists_its_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local_cloudformation", "--help"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0
    for command in ("serve", "stack", "invoke", "demo"):
        assert f"\n  {command} " in done.stdout
    assert "Command line:" not in done.stdout


def test_a_custom_resource_without_a_service_token_fails_the_command(tmp_path: Path) -> None:
    template = tmp_path / "no-token.yaml"
    template.write_text(
        "Resources:\n"
        "  ReplicationSet:\n"
        "    Type: Custom::IncidentReplicationSet\n"
        "    Properties:\n"
        "      Regions: [{RegionName: us-east-1}]\n"
    )
    done = stack(None, "deploy", str(template))
    assert done.returncode == 1
    assert (
        "CREATE_FAILED                                Properties validation failed for resource "
        "ReplicationSet with message: #: required key [ServiceToken] not found" in done.stdout
    )
    assert done.stdout.rstrip().endswith("ROLLBACK_COMPLETE")


def test_a_rollback_that_cannot_delete_ends_rollback_failed_and_exit_1(
    server: str, tmp_path: Path
) -> None:
    template = (
        (EXAMPLES / "replication-set.yaml")
        .read_text()
        .replace(
            "\nOutputs:\n",
            "  Broken:\n    Type: Custom::Broken\n    DependsOn: ReplicationSet\n"
            "    Properties:\n      Nothing: here\n\nOutputs:\n",
            1,
        )
    )
    path = tmp_path / "stuck.yaml"
    path.write_text(template)
    kms = boto3.client("kms", region_name="us-west-2", endpoint_url=server)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    done = stack(
        server,
        "deploy",
        str(path),
        "--stack-name",
        "stuck",
        "--param",
        f"SecondaryKeyArn={key}",
        "--param",
        "DeletionProtected=true",
    )
    assert done.returncode == 1
    last = done.stdout.rstrip().splitlines()[-1]
    assert "ROLLBACK_FAILED" in last
    assert last.endswith("The following resource(s) failed to delete: [ReplicationSet].")


UNKNOWN_TYPE = """
Resources:
  Thing:
    Type: AWS::Nope::Thing
"""


def test_a_template_cloudformation_would_refuse_is_one_line_on_stderr_and_nothing_made(
    server: str, tmp_path: Path
) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(UNKNOWN_TYPE)
    done = stack(server, "deploy", "--template-file", str(template), "--stack-name", "nope")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "Template format error: E3006 at Resources/Thing/Type (line 4): Resource type "
        "'AWS::Nope::Thing' does not exist in 'us-east-1'"
    ]
    described = stack(server, "describe", "--stack-name", "nope")
    assert described.returncode == 2 and "does not exist" in described.stderr


def test_deploy_takes_the_aws_clis_flags_and_an_unchanged_deploy_changes_nothing(
    server: str,
) -> None:
    template = str(EXAMPLES / "with-response-plan.yaml")
    first = stack(
        server, "deploy", "--template-file", template, "--stack-name", "cli",
        "--parameter-overrides", "SecondaryRegion=eu-west-1",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    again = stack(
        server, "deploy", "--template-file", template, "--stack-name", "cli",
        "--parameter-overrides", "SecondaryRegion=eu-west-1",
    )  # fmt: skip
    assert (again.returncode, again.stdout) == (
        0,
        "No changes to deploy. Stack cli is up to date\n",
    )
    preview = stack(
        server, "deploy", "--template-file", template, "--stack-name", "cli",
        "--parameter-overrides", "SecondaryRegion=us-west-2", "--no-execute-changeset",
    )  # fmt: skip
    assert preview.returncode == 0, preview.stderr
    assert "Modify   ReplicationSet         Custom::IncidentReplicationSet" in preview.stdout
    assert "ResponsePlan" not in preview.stdout  # it uses no changed parameter: untouched
    found = replication_set()
    assert found is not None and sorted(found["regionMap"]) == ["eu-west-1", "us-east-1"]
    described = stack(server, "describe", "--stack-name", "cli").stdout
    assert "  SecondaryRegion = eu-west-1\n" in described  # every parameter, defaults too:
    assert "  ProviderStackName = IncidentReplicationSetProvider\n" in described


def test_the_stack_name_is_required_as_in_the_aws_cli() -> None:
    done = stack(None, "deploy", "--template-file", "x.yaml", "--stack-name")
    assert done.returncode == 2 and "--stack-name" in done.stderr


def test_a_parameter_outside_its_allowed_values_is_refused_before_anything_is_made(
    tmp_path: Path,
) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Parameters:\n  Level:\n    Type: String\n    AllowedValues: [low, high]\n"
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
    )
    done = stack(None, "deploy", str(template), "--parameter-overrides", "Level=mid")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "Parameter 'Level' must be one of AllowedValues: low, high\n"


ONLY_US_EAST_1 = """
Resources:
  ReplicationSet:
    Type: Custom::IncidentReplicationSet
    Properties:
      ServiceToken: !ImportValue IncidentReplicationSetProvider-ServiceToken
      Regions:
        - RegionName: us-east-1
Outputs:
  StackRegion:
    Value: !Ref AWS::Region
"""


def test_the_stack_runs_in_the_region_given_and_the_provider_holds_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--region (or AWS_REGION, as the AWS CLI reads it): a set without that Region is
    refused by the provider, as it would be there; in us-east-1 the same template deploys."""
    template = tmp_path / "t.yaml"
    template.write_text(ONLY_US_EAST_1)
    refused = stack(None, "deploy", str(template), "--region", "eu-west-1")
    assert refused.returncode == 1
    assert "Regions: must include eu-west-1" in refused.stdout
    assert "ROLLBACK_COMPLETE" in refused.stdout
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    deployed = stack(None, "deploy", str(template))
    assert deployed.returncode == 0 and "StackRegion = us-east-1" in deployed.stdout


def test_a_bare_make_lists_the_targets_with_one_line_each() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(  # as typed at a shell, not as a sub-make of `make test-long`
        ["make", "--no-print-directory"], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "make TARGET, where TARGET is one of:"
    targets = {line.split()[0] for line in lines[1:]}
    assert {"demo", "test", "bench", "package", "serve", "explore"} <= targets


class ClosedPipe(io.StringIO):
    """stdout once the reader (`| head -1`) has gone: every write is a broken pipe."""

    def __init__(self, devnull: int) -> None:
        super().__init__()
        self.devnull = devnull

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return self.devnull


def test_a_closed_pipe_ends_the_command_quietly(server: str) -> None:
    """`stack describe ... | head -1`: exit 0, no 'cannot reach the server', no traceback."""
    template = str(EXAMPLES / "with-response-plan.yaml")
    assert stack(server, "deploy", template, "--stack-name", "piped").returncode == 0
    args = build_parser_args(
        ["stack", "describe", "--stack-name", "piped", "--endpoint-url", server]
    )
    with open(os.devnull, "w") as sink:
        spare = os.dup(sink.fileno())
        errors = io.StringIO()
        try:
            with redirect_stdout(ClosedPipe(spare)), redirect_stderr(errors):
                code = cli.run(args)
        finally:
            os.close(spare)
    assert (code, errors.getvalue()) == (0, "")


def build_parser_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    cli.add_arguments(commands.add_parser("stack"))
    return parser.parse_args(argv)
