"""Command line: ``python -m emulator serve --port N``."""

import argparse

from . import server


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
    args = parser.parse_args(argv)
    if args.command == "serve":
        server.serve_forever(args.host, args.port, args.transition_seconds)


if __name__ == "__main__":
    main()
