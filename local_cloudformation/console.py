"""Stack events printed as the CloudFormation console lists them, and the run's summary."""

import sys
from typing import TextIO

from .engine import StackEvent, format_event


def printer(stream: TextIO | None = None) -> "EventPrinter":
    """Events to ``stream`` (default: sys.stdout as it is when each event comes)."""
    return EventPrinter(stream)


class EventPrinter:
    """Prints each event as it happens (flushed: a pipe sees it live)."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    def __call__(self, event: StackEvent) -> None:
        print(format_event(event), file=self.stream or sys.stdout, flush=True)


def header(stream: TextIO | None = None) -> None:
    print(
        f"{'Timestamp':<23}  {'Logical ID':<22} {'Type':<32} {'Status':<44} Status reason",
        file=stream or sys.stdout,
    )
