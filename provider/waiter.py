"""Waiting inside an invocation: short polls that back off, within two limits.

The overall deadline (carried across invocations) ends the request with a clear FAILED; the
Lambda's remaining time only ends this invocation: :class:`Handoff` asks the edge to continue
in a new one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import DeadlineExceeded, Handoff

T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    """How long this request, and this invocation, may still wait."""

    deadline: float  # epoch seconds: answer FAILED rather than wait past this
    remaining_ms: Callable[[], int]  # the Lambda context's remaining time
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    reserve_seconds: float = 30.0  # hand off while this much invocation time is left
    first_delay: float = 1.0
    max_delay: float = 5.0

    def before_call(self) -> None:
        """Hand off rather than start a call that might outlast this invocation (one call,
        retries included, fits the reserve: ``provider.settings.call_seconds``)."""
        if self.remaining_ms() / 1000 < self.reserve_seconds:
            raise Handoff


def wait_for(
    read: Callable[[], T],
    done: Callable[[T], bool],
    budget: Budget,
    describe: Callable[[T], str],
) -> T:
    """Poll ``read`` until ``done``; DeadlineExceeded or Handoff when time runs short."""
    delay = budget.first_delay
    while True:
        value = read()
        if done(value):
            return value
        if budget.clock() + delay > budget.deadline:
            raise DeadlineExceeded(
                f"{describe(value)} when the provider's deadline passed "
                "(PROVIDER_DEADLINE_SECONDS, or the resource's ServiceTimeout); "
                "it may still finish: check it with 'aws ssm-incidents get-replication-set'"
            )
        if budget.remaining_ms() / 1000 - delay < budget.reserve_seconds:
            raise Handoff
        budget.sleep(delay)
        delay = min(delay * 1.5, budget.max_delay)
