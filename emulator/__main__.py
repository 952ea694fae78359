"""Command line: ``python -m emulator serve --port N``."""

import argparse
import sys

from . import server
from .stack import cli as stack_cli


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve moto plus ssm-incidents on 127.0.0.1")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument(
        "--transition-seconds",
        type=float,
        default=0,
        help="how long CREATING, UPDATING and DELETING last (default: instant)",
    )
    serve.add_argument(
        "--region-removal-min-age",
        type=float,
        default=0,
        metavar="SECONDS",
        help="refuse to remove a Region younger than this (assumed rule after the user "
        "guide's 24 hours; default 0: off)",
    )
    stack = commands.add_parser("stack", help="deploy, update or delete a stack locally")
    stack_cli.add_arguments(stack)
    demo = commands.add_parser("demo", help="run the example stack's whole lifecycle")
    demo.add_argument("--transition-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.command == "serve":
        server.serve_forever(
            args.host, args.port, args.transition_seconds, args.region_removal_min_age
        )
    elif args.command == "stack":
        sys.exit(stack_cli.run(args))
    elif args.command == "demo":
        from .stack import demo as story  # noqa: PLC0415 - only this command needs it

        sys.exit(story.run(args.transition_seconds))


if __name__ == "__main__":
    main()
