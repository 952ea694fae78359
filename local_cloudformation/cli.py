"""`python -m local_cloudformation stack deploy|update|delete|describe`: stack operations, with
their events printed live.

With ``--endpoint-url`` (or ``AWS_ENDPOINT_URL``) the operation runs in the emulator server
(``python -m local_cloudformation serve``), which keeps the stack for the next command. Without one,
``deploy`` runs in this process on a fresh emulator, and the stack ends with the command.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .console import header, printer
from .hosted import PATH, SUCCEEDED
from .template import TemplateError

ENVIRONMENT = """environment:
  AWS_ENDPOINT_URL   the emulator server to run in (default for --endpoint-url)

exit codes:
  0  the operation did what was asked (CREATE_COMPLETE, UPDATE_COMPLETE, DELETE_COMPLETE)
  1  it failed: rolled back, or ended in a *_FAILED status
  2  it was refused before anything changed: a bad template or parameter, an unknown stack,
     no server"""

COMMANDS = {
    "deploy": "create the stack, or update it if it exists (as aws cloudformation deploy)",
    "update": "update an existing stack",
    "delete": "delete a stack",
    "describe": "show a kept stack: status, parameters, resources, outputs, last events",
}


def default_region() -> str:
    """As the AWS CLI reads it: AWS_REGION, then AWS_DEFAULT_REGION."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="action", required=True, metavar="COMMAND")
    for name, summary in COMMANDS.items():
        command = commands.add_parser(
            name,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]}.",
            epilog=ENVIRONMENT,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name in ("deploy", "update"):
            command.add_argument(
                "template", type=Path, nargs="?", help="the template file (or --template-file)"
            )
            command.add_argument(
                "--template-file", type=Path, help="the template file (YAML or JSON)"
            )
            command.add_argument(
                "--parameter-overrides",
                nargs="+",
                default=[],
                metavar="KEY=VALUE",
                help="template parameters; on update, parameters not given keep their values",
            )
            command.add_argument(
                "--param", action="append", default=[], metavar="KEY=VALUE", help=argparse.SUPPRESS
            )
        if name == "deploy":
            command.add_argument(
                "--no-execute-changeset",
                action="store_true",
                help="print what would change (resources to add, modify, remove); change nothing",
            )
        command.add_argument("--stack-name", required=True, help="the stack's name")
        command.add_argument(
            "--region",
            default=default_region(),
            help="the stack's Region (default: $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1)",
        )
        command.add_argument(
            "--endpoint-url",
            default=os.environ.get("AWS_ENDPOINT_URL"),
            help="the emulator server (default: $AWS_ENDPOINT_URL; none: deploy runs in-process)",
        )
        if name == "delete":
            command.add_argument(
                "--retain-resources",
                nargs="+",
                default=[],
                metavar="LOGICAL_ID",
                help="leave these resources in place (only for a stack in DELETE_FAILED)",
            )


def refuse(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """One stack command; a closed pipe (``| head``) ends it quietly."""
    try:
        return _run(args)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 0


def _run(args: argparse.Namespace) -> int:
    request: dict[str, object] = {
        "operation": args.action,
        "stack": args.stack_name,
        "region": args.region,
    }
    if args.action in ("deploy", "update"):
        template = args.template_file or args.template
        if template is None:
            return refuse("the template is required: --template-file TEMPLATE")
        try:
            request["template"] = template.read_text()
        except OSError as error:
            return refuse(f"cannot read the template {template}: {error.strerror}")
        given = [*args.parameter_overrides, *args.param]
        wrong = [param for param in given if "=" not in param]
        if wrong:
            return refuse(
                f"--parameter-overrides takes KEY=VALUE, got {', '.join(map(repr, wrong))}"
            )
        request["parameters"] = dict(param.split("=", 1) for param in given)
        if getattr(args, "no_execute_changeset", False):
            request["operation"] = "preview"
    if args.action == "delete":
        request["retain"] = args.retain_resources
    if args.endpoint_url:
        return _remote(args.endpoint_url, request)
    if args.action not in ("deploy",):
        return refuse(
            "No emulator server to keep stacks between commands: start one with "
            "'python -m local_cloudformation serve' (or make serve) and pass --endpoint-url "
            "(or set AWS_ENDPOINT_URL)."
        )
    return _in_process(request)


def _remote(endpoint: str, request: dict[str, object]) -> int:
    post = urllib.request.Request(
        f"{endpoint.rstrip('/')}{PATH}",
        data=json.dumps(request).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    status, shown = "", False
    try:
        answer = urllib.request.urlopen(post, timeout=3600)
    except (urllib.error.URLError, OSError) as error:
        return refuse(f"cannot reach the emulator server at {endpoint}: {error}")
    with answer:
        for raw in answer:
            line = raw.decode().rstrip("\n")
            if line.startswith("STATUS "):
                status = line.removeprefix("STATUS ")
            elif line.startswith("ERROR "):
                return refuse(line.removeprefix("ERROR "))
            else:
                event = not line.startswith("No changes to deploy")
                if event and not shown and request["operation"] not in ("describe", "preview"):
                    header()  # the event table starts with its first event, not before
                    shown = True
                print(line, flush=True)
    return 0 if request["operation"] == "describe" or status in SUCCEEDED else 1


def _in_process(request: dict[str, object]) -> int:
    from moto import mock_aws  # noqa: PLC0415 - only this path needs the in-process emulator

    from .engine import Stack  # noqa: PLC0415
    from .local import local_cloud  # noqa: PLC0415

    events = printer()
    started: list[bool] = []

    def on_event(event: Any) -> None:
        if not started:  # once the template is accepted: a refusal prints nothing here
            started.append(True)
            print("(in-process: this stack ends with the command; 'make serve' keeps stacks)")
            header()
        events(event)

    region = str(request["region"])
    with mock_aws(), open(os.devnull, "w") as quiet, local_cloud(on_event, quiet, region) as cloud:
        stack = Stack(str(request["stack"]), cloud)
        parameters: dict[str, str] = request["parameters"]  # type: ignore[assignment]
        try:
            if request["operation"] == "preview":
                print("\n".join(stack.preview(str(request["template"]), parameters)))
                return 0
            status = stack.create(str(request["template"]), parameters)
        except TemplateError as error:
            return refuse(str(error))
        if status == "CREATE_COMPLETE" and stack.output_lines():
            print("\n".join(stack.output_lines()))
    return 0 if status in SUCCEEDED else 1
