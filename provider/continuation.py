"""Carrying a request across invocations: its overall deadline travels in the event.

When Lambda time runs low the handler re-invokes itself with the event plus ``KEY``; the new
invocation keeps the first one's deadline, so a slow change ends in one clear FAILED at the
deadline rather than in an endless chain of invocations.
"""

from aws_lambda_powertools.utilities.typing import LambdaContext

from .runtime import Event, Runtime
from .settings import settings
from .spec import is_replication_set_arn
from .waiter import Budget

KEY = "ProviderContinuation"


def carry(event: Event, deadline: float, created: str | None = None) -> Event:
    """The event for the next invocation, with what this one learned (the ARN it created)."""
    carried: dict[str, object] = {"Deadline": deadline, "Attempt": state(event)[1] + 1}
    if created:
        carried["Created"] = created
    return {**event, KEY: carried}


def created(event: Event) -> str | None:
    """The ARN an earlier invocation of this request created, if it carried one."""
    carried = event.get(KEY)
    arn = carried.get("Created") if isinstance(carried, dict) else None
    return arn if isinstance(arn, str) and is_replication_set_arn(arn) else None


def state(event: Event) -> tuple[float | None, int]:
    """(deadline, attempt) carried by a continuation; (None, 0) for CloudFormation's own event."""
    carried = event.get(KEY)
    if not isinstance(carried, dict):
        return None, 0
    try:
        return float(carried["Deadline"]), int(carried.get("Attempt", 0))
    except (KeyError, TypeError, ValueError):
        return None, 0


def budget(event: Event, context: LambdaContext, runtime: Runtime) -> Budget:
    config = settings()
    deadline, _ = state(event)
    return Budget(
        deadline=deadline or runtime.clock() + deadline_seconds(event),
        remaining_ms=context.get_remaining_time_in_millis,
        clock=runtime.clock,
        sleep=runtime.sleep,
        reserve_seconds=config.handoff_seconds,
        first_delay=config.poll_seconds,
        max_delay=config.poll_max_seconds,
    )


def deadline_seconds(event: Event) -> float:
    """PROVIDER_DEADLINE_SECONDS, shortened to answer 10 s before the resource's ServiceTimeout."""
    limit = settings().deadline_seconds
    properties = event.get("ResourceProperties")
    timeout = properties.get("ServiceTimeout") if isinstance(properties, dict) else None
    try:
        return min(limit, max(float(str(timeout)) - 10, 1)) if timeout is not None else limit
    except ValueError:
        return limit
