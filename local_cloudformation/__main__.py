"""The local stack runner: CloudFormation's side of custom resources, on the emulator.

  serve    the emulator server (moto plus ssm-incidents), keeping stacks between commands
  stack    deploy, update, delete or describe a stack, as CloudFormation would
  invoke   run the provider's handler on a CloudFormation event (no Docker, no AWS)
  demo     the example stack's whole lifecycle, checked

Each command has its own --help."""

import argparse
import sys

from emulator.__main__ import add_serve_arguments

from . import cli as stack_cli
from . import invoke as invoke_cli


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m local_cloudformation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the emulator on 127.0.0.1, keeping stacks",
        description="Serve every moto service plus ssm-incidents on one port, and keep stacks "
        "for `python -m local_cloudformation stack --endpoint-url URL`. Stop with Ctrl-C.",
    )
    add_serve_arguments(serve)
    stack = commands.add_parser(
        "stack",
        help="deploy, update, delete or describe a stack locally",
        description=stack_cli.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    stack_cli.add_arguments(stack)
    invoke = commands.add_parser(
        "invoke",
        help="run the provider's handler on a CloudFormation event",
        description=invoke_cli.__doc__,
    )
    invoke_cli.add_arguments(invoke)
    demo = commands.add_parser(
        "demo",
        help="run the example stack's whole lifecycle",
        description="Deploy, update, fail an update (and roll back), delete: the example "
        "stack on a fresh in-process emulator. Exits 0 only if every step ends as expected.",
    )
    demo.add_argument(
        "--transition-seconds",
        type=float,
        default=2.0,
        help="how long each status transition lasts (default: 2)",
    )
    args = parser.parse_args(argv)
    if args.command == "serve":
        from .serve import serve_forever  # noqa: PLC0415 - only this command needs it

        serve_forever(
            args.host,
            args.port,
            args.transition_seconds,
            args.region_removal_min_age,
            args.access_log,
        )
    elif args.command == "stack":
        sys.exit(stack_cli.run(args))
    elif args.command == "invoke":
        sys.exit(invoke_cli.run(args))
    elif args.command == "demo":
        from . import demo as story  # noqa: PLC0415 - only this command needs it

        sys.exit(story.run(args.transition_seconds))


if __name__ == "__main__":
    main()
