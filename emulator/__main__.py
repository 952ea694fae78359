"""The ssm-incidents emulator for moto, for development and tests.

  serve    moto plus ssm-incidents on 127.0.0.1: the AWS CLI and SDKs use it with
           --endpoint-url (python -m local_cloudformation serve adds kept stacks)

Each command has its own --help."""

import argparse

from . import server


def add_serve_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=5000, help="port (default: 5000)")
    serve.add_argument(
        "--access-log", action="store_true", help="print a line per HTTP request (default: off)"
    )
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve moto plus ssm-incidents on 127.0.0.1",
        description="Serve every moto service plus ssm-incidents on one port. Stop with Ctrl-C.",
    )
    add_serve_arguments(serve)
    args = parser.parse_args(argv)
    server.serve_forever(
        args.host,
        args.port,
        args.transition_seconds,
        args.region_removal_min_age,
        args.access_log,
    )


if __name__ == "__main__":
    main()
