"""Stack events printed as the CloudFormation console lists them, and the run's summary."""

import sys
from typing import TextIO

from .engine import StackEvent


def format_event(event: StackEvent) -> str:
    line = (
        f"{event.timestamp:%Y-%m-%d %H:%M:%S} UTC  {event.logical_id:<22} "
        f"{event.resource_type:<32} {event.status:<44}"
    )
    return f"{line} {event.reason}".rstrip()


def printer(stream: TextIO = sys.stdout) -> "EventPrinter":
    return EventPrinter(stream)


class EventPrinter:
    """Prints each event as it happens (flushed: a pipe sees it live)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: StackEvent) -> None:
        print(format_event(event), file=self.stream, flush=True)


def header(stream: TextIO = sys.stdout) -> None:
    print(
        f"{'Timestamp':<23}  {'Logical ID':<22} {'Type':<32} {'Status':<44} Status reason",
        file=stream,
    )
