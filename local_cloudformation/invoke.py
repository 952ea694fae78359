"""`python -m local_cloudformation invoke EVENT`: the real handler on a CloudFormation event.

What ``sam local invoke -e EVENT`` does, without Docker and without AWS: the provider's
``lambda_handler`` runs in this process against the emulator (a fresh one, or the one
``make serve`` keeps, so that update and delete events can follow a create), its
response goes to a local endpoint instead of CloudFormation's bucket, and the command prints
that response and the replication set the emulator then holds.
"""

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .protocol import ResponseEndpoint, response_endpoint

Event = dict[str, Any]
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
FUNCTION = "ProviderFunction"  # the function's logical ID in template.yaml

EPILOG = """examples:
  python -m local_cloudformation invoke events/create.json
  make serve &   # then, against the kept emulator, one event after another:
  export AWS_ENDPOINT_URL=http://127.0.0.1:5000
  python -m local_cloudformation invoke events/create.json
  python -m local_cloudformation invoke events/update-add-region.json
  python -m local_cloudformation invoke - < events/create.json

The sample ARN of an update or delete event is replaced by the emulator's replication set
(the command says so); --physical-id names another.

environment:
  AWS_ENDPOINT_URL   the emulator server to run against (default for --endpoint-url)

exit codes:
  0  the provider answered SUCCESS
  1  it answered FAILED
  2  nothing was invoked: the event or env file could not be read"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument(
        "event", nargs="?", help="the event file (a CloudFormation request), or - for stdin"
    )
    parser.add_argument("--event-file", "-e", help="the event file (as sam local invoke -e)")
    parser.add_argument(
        "--env-file",
        "-n",
        type=Path,
        help="JSON of environment variables, as sam local invoke's: "
        '{"ProviderFunction": {"POWERTOOLS_LOG_LEVEL": "DEBUG"}} or {"Parameters": {...}}',
    )
    parser.add_argument(
        "--physical-id", help="the PhysicalResourceId to send (default: the event's, see below)"
    )
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="the emulator server (default: $AWS_ENDPOINT_URL; none: a fresh in-process one)",
    )
    parser.add_argument(
        "--region", default="us-east-1", help="the Region the provider runs in (default: us-east-1)"
    )


def refuse(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def read_event(args: argparse.Namespace) -> dict[str, Any]:
    source = args.event_file or args.event
    if source is None and sys.stdin.isatty():
        raise ValueError("give an event file (for example events/create.json), or - for stdin")
    text = sys.stdin.read() if source in (None, "-") else Path(source).read_text()
    event = json.loads(text)
    if not isinstance(event, dict):
        raise ValueError("the event is not a JSON object")
    return event


def read_env_file(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    variables = json.loads(path.read_text())
    chosen = variables.get(FUNCTION) or variables.get("Parameters") or {}
    if not isinstance(chosen, dict):
        raise ValueError(f"{path}: expected {{{FUNCTION!r}: {{NAME: VALUE}}}}")
    return {str(name): str(value) for name, value in chosen.items()}


def run(args: argparse.Namespace) -> int:
    try:
        event = read_event(args)
        environment = read_env_file(args.env_file)
    except OSError as error:
        return refuse(f"cannot invoke: cannot read {error.filename}: {error.strerror}")
    except ValueError as error:
        return refuse(f"cannot invoke: {error}")
    with ExitStack() as stack:
        stack.enter_context(_environment(environment, args))
        if not args.endpoint_url:
            from moto import mock_aws  # noqa: PLC0415 - only this path needs it

            stack.enter_context(mock_aws())
        endpoint = stack.enter_context(response_endpoint())
        event = _local(event, endpoint, args.physical_id)
        response = _invoke(event, endpoint, args.region)
        print("Response CloudFormation receives:")
        print(json.dumps(response, indent=2))
        print("Replication set in the emulator:")
        print(json.dumps(_replication_set(args.region), indent=2, default=str))
    return 0 if response.get("Status") == "SUCCESS" else 1


@contextmanager
def _environment(variables: dict[str, str], args: argparse.Namespace) -> Iterator[None]:
    """Fake credentials (never the caller's: nothing may reach AWS), the env file's variables,
    and the server to call, for the time of the invoke."""
    wanted = {**variables, **FAKE_CREDENTIALS}
    if args.endpoint_url:
        wanted["AWS_ENDPOINT_URL"] = args.endpoint_url
    saved = {name: os.environ.get(name) for name in (*wanted, "AWS_SESSION_TOKEN", "AWS_PROFILE")}
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _local(event: dict[str, Any], endpoint: ResponseEndpoint, physical_id: str | None) -> Event:
    """The event with its ResponseURL on the local endpoint, and the emulator's set as its
    PhysicalResourceId when the event names a sample ARN."""
    event = dict(event)
    url = urlsplit(str(event.get("ResponseURL", "")))
    event["ResponseURL"] = f"{endpoint.origin}{url.path}" + (f"?{url.query}" if url.query else "")
    given = event.get("PhysicalResourceId")
    if physical_id:
        event["PhysicalResourceId"] = physical_id
    elif isinstance(given, str) and ":replication-set/" in given:
        arns = _arns()
        if arns and given not in arns:
            print(
                f"(PhysicalResourceId {given} is a sample: sending {arns[0]}, the emulator's set)"
            )
            event["PhysicalResourceId"] = arns[0]
        elif not arns:
            what = (
                "so the Update creates a new set (another PhysicalResourceId)"
                if event.get("RequestType") == "Update"
                else "so the Delete finds nothing to delete"
            )
            print(
                f"(PhysicalResourceId {given} names no set here: this emulator has none, {what}."
                " To act on a set, run 'make serve' and invoke events/create.json first.)"
            )
    return event


def _invoke(event: Event, endpoint: ResponseEndpoint, region: str) -> dict[str, Any]:
    from .host import provider_host  # noqa: PLC0415 - imports the provider

    with provider_host(endpoint, region, logs=sys.stderr) as invoke:  # logs as Lambda's
        return invoke(event)


def _client(region: str) -> Any:
    import boto3  # noqa: PLC0415

    return boto3.client("ssm-incidents", region_name=region)


def _arns(region: str = "us-east-1") -> list[str]:
    return list(_client(region).list_replication_sets()["replicationSetArns"])


def _replication_set(region: str) -> dict[str, Any] | None:
    arns = _arns(region)
    if not arns:
        return None
    client = _client(region)
    try:
        found = client.get_replication_set(arn=arns[0])["replicationSet"]
    except client.exceptions.ResourceNotFoundException:
        return {"arn": arns[0], "note": f"not in {region}, the provider's Region"}
    return {
        "arn": found["arn"],
        "status": found["status"],
        "regions": {name: info["sseKmsKeyId"] for name, info in found["regionMap"].items()},
        "deletionProtected": found["deletionProtected"],
        "tags": client.list_tags_for_resource(resourceArn=arns[0])["tags"],
    }
