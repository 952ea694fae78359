"""`python -m emulator stack deploy|update|delete`: one stack operation, events printed live.

With ``--endpoint-url`` (or ``AWS_ENDPOINT_URL``) the operation runs in the emulator server
(``python -m emulator serve``), which keeps the stack for the next command. Without one,
``deploy`` runs in this process on a fresh emulator, and the stack ends with the command.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from .console import header, printer
from .hosted import EXPECTED, PATH
from .template import TemplateError

OPERATION = {"deploy": "create", "update": "update", "delete": "delete"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=sorted(OPERATION))
    parser.add_argument("template", nargs="?", type=Path, help="the template (deploy, update)")
    parser.add_argument("--stack-name", default="local-stack")
    parser.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="a template parameter"
    )
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument(
        "--retain-resources",
        nargs="+",
        default=[],
        metavar="LOGICAL_ID",
        help="delete: leave these resources in place (only for a stack in DELETE_FAILED)",
    )


def run(args: argparse.Namespace) -> int:
    operation = OPERATION[args.action]
    if operation != "delete" and args.template is None:
        print(f"stack {args.action} needs a template", file=sys.stderr)
        return 2
    parameters = dict(param.split("=", 1) for param in args.param if "=" in param)
    request = {
        "operation": operation,
        "stack": args.stack_name,
        "template": args.template.read_text() if args.template else "",
        "parameters": parameters,
        "retain": args.retain_resources,
    }
    if args.endpoint_url:
        return _remote(args.endpoint_url, request)
    if operation != "create":
        print(
            "No emulator server to keep stacks between commands: start one with "
            "'python -m emulator serve' and pass --endpoint-url (or set AWS_ENDPOINT_URL).",
            file=sys.stderr,
        )
        return 2
    return _in_process(request)


def _remote(endpoint: str, request: dict[str, object]) -> int:
    post = urllib.request.Request(
        f"{endpoint.rstrip('/')}{PATH}",
        data=json.dumps(request).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    header()
    status = ""
    try:
        with urllib.request.urlopen(post, timeout=3600) as answer:
            for raw in answer:
                line = raw.decode().rstrip("\n")
                if line.startswith("STATUS "):
                    status = line.removeprefix("STATUS ")
                elif line.startswith("ERROR "):
                    print(line.removeprefix("ERROR "), file=sys.stderr)
                    return 2
                else:
                    print(line, flush=True)
    except (urllib.error.URLError, OSError) as error:
        print(f"cannot reach the emulator server at {endpoint}: {error}", file=sys.stderr)
        return 2
    return 0 if status == EXPECTED[str(request["operation"])] else 1


def _in_process(request: dict[str, object]) -> int:
    from moto import mock_aws  # noqa: PLC0415 - only this path needs the in-process emulator

    from .engine import Stack  # noqa: PLC0415
    from .local import local_cloud  # noqa: PLC0415

    print("(in-process: this stack ends with the command; 'python -m emulator serve' keeps it)")
    header()
    with mock_aws(), open(os.devnull, "w") as quiet, local_cloud(printer(), quiet) as cloud:
        try:
            status = Stack(str(request["stack"]), cloud).create(
                str(request["template"]),
                request["parameters"],  # type: ignore[arg-type]
            )
        except TemplateError as error:
            print(error, file=sys.stderr)
            return 2
    return 0 if status == "CREATE_COMPLETE" else 1
