"""Carrying a request across invocations: its state in the records, a reference in the event.

When Lambda time runs low the step ends handed off: its record keeps what the next step needs
(:class:`~provider.outcome.Carried`: the deadline, the ARN created...) and the next invocation's
event is CloudFormation's own plus the step number (``provider.request.CONTINUATION``). The
next step reads the state from the record of the step before, checks that it is this request's,
and keeps the first step's deadline, so a slow change ends in one clear FAILED at the deadline
rather than in an endless chain of invocations.
"""

import hashlib
import json
from collections.abc import Callable

from .outcome import Carried, HandedOff
from .records import Records, Step
from .request import CONTINUATION, Request
from .runtime import Event
from .settings import settings
from .waiting import Budget


def resume(records: Records, request: Request) -> Carried | None:
    """The state step ``request.step`` carries on from; None when no record of this request
    (its RequestId, stack and resource) handed off to that step."""
    if not request.step:
        return None
    previous = records.read(Step(request.identity.request_id, request.step - 1))
    carried = previous.carried if isinstance(previous, HandedOff) else None
    identity = request.identity
    if (
        carried is None
        or carried.step != request.step
        or (carried.stack_id, carried.logical_id) != (identity.stack_id, identity.logical_id)
        or carried.event_digest != digest(request)
    ):
        return None
    return carried


def digest(request: Request) -> str:
    """sha256 of CloudFormation's event as received (the continuation's step left out): a
    continuation whose type, properties or ResponseURL differ is not this request's."""
    event = {k: v for k, v in request.event.items() if k != CONTINUATION}
    text = json.dumps(event, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def carry(
    request: Request, deadline: float, created: str | None, adopting: str | None = None
) -> Carried:
    """What the next step needs, from this one."""
    return Carried(
        deadline=deadline,
        step=(request.step or 0) + 1,
        created=created,
        adopting=adopting,
        stack_id=request.identity.stack_id,
        logical_id=request.identity.logical_id,
        event_digest=digest(request),
    )


def next_event(request: Request, carried: Carried) -> Event:
    """CloudFormation's event, naming the step that carries on and nothing else."""
    event = {k: v for k, v in request.event.items() if k != CONTINUATION}
    return {**event, CONTINUATION: {"Step": carried.step}}


def budget(
    request: Request,
    carried: Carried | None,
    remaining_ms: Callable[[], int],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Budget:
    config = settings()
    # A function whose Timeout is under twice the reserve (template.yaml: 900 s) still gets
    # half of each invocation's time to work, rather than handing off at once, for ever.
    reserve = min(config.handoff_seconds, remaining_ms() / 2000)
    return Budget(
        deadline=carried.deadline if carried else clock() + deadline_seconds(request),
        remaining_ms=remaining_ms,
        clock=clock,
        sleep=sleep,
        reserve_seconds=reserve,
        first_delay=config.poll_seconds,
        max_delay=config.poll_max_seconds,
    )


def deadline_seconds(request: Request) -> float:
    """PROVIDER_DEADLINE_SECONDS, shortened to answer 10 s before the resource's ServiceTimeout."""
    limit = settings().deadline_seconds
    timeout = request.service_timeout
    return min(limit, max(timeout - 10, 1)) if timeout is not None else limit
