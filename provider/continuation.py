"""Carrying a request across invocations: its overall deadline travels in the event.

When Lambda time runs low the handler re-invokes itself with the event plus what it learned
(``provider.request.CONTINUATION``); the new invocation keeps the first one's deadline, so a
slow change ends in one clear FAILED at the deadline rather than in an endless chain of
invocations.
"""

from collections.abc import Callable

from .request import CONTINUATION, Request
from .runtime import Event
from .settings import settings
from .waiter import Budget


def carry(request: Request, deadline: float, created: str | None) -> Event:
    """The event for the next invocation, with what this one learned (the ARN it created)."""
    carried: dict[str, object] = {
        "Deadline": deadline,
        "Attempt": request.continuation.attempt + 1,
    }
    if created:
        carried["Created"] = created
    return {**request.event, CONTINUATION: carried}


def budget(
    request: Request,
    remaining_ms: Callable[[], int],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Budget:
    config = settings()
    return Budget(
        deadline=request.continuation.deadline or clock() + deadline_seconds(request),
        remaining_ms=remaining_ms,
        clock=clock,
        sleep=sleep,
        reserve_seconds=config.handoff_seconds,
        first_delay=config.poll_seconds,
        max_delay=config.poll_max_seconds,
    )


def deadline_seconds(request: Request) -> float:
    """PROVIDER_DEADLINE_SECONDS, shortened to answer 10 s before the resource's ServiceTimeout."""
    limit = settings().deadline_seconds
    timeout = request.service_timeout
    return min(limit, max(timeout - 10, 1)) if timeout is not None else limit
