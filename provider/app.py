"""Lambda entry point for ``Custom::IncidentReplicationSet``: one request, from event to answer.

One invocation, top to bottom (:class:`Handler`, then :class:`Invocation`):

1. **Parse** the event once (``provider.request``). A malformed one, crhelper's own dispatch
   keys included, is answered FAILED; no record is touched.
2. **Refuse** properties that break a rule: the same answer however often it comes, no record.
3. **Load the step.** Step 0 is CloudFormation's event; step n carries on from what step n-1
   handed on in the records (``provider.continuation``), once the set it names confirms it.
4. **Run it once** (``provider.records``). A repeated delivery gets the stored outcome. A step's
   record is written only by that step's run, and once completed never again. Whatever the
   step raises (a RecursionError too) ends in one FAILED outcome.
5. **Deliver it exactly once:** send the answer, or start the next step.

crhelper is the entry point (``provider.crhelper_seam``): it runs the step under its timer,
which answers just before Lambda's limit. The first of the two to answer delivers; the other is
dropped (:class:`Latch`). The timer reads only immutable snapshots: what the request made so far
(``progress.Progress.now``), the step's budget, and the step's outcome once there is one.

What a failure must still do is one function, :func:`fail`: name the set this request made or
was adopting, delete a set an Update re-created that no stack would own, and hand that work on
when Lambda time is short (:func:`fail_or_continue`).

Nothing builds an AWS client at import time: a request that fails validation never needs one,
and the cold start stays short.
"""

import threading
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from . import continuation, lifecycle, ownership, responder
from .crhelper_seam import CrhelperSeam
from .errors import DeadlineExceeded, Handoff, ProviderError
from .keys import Keys
from .logs import RedactUrls, logger
from .outcome import Answer, Carried, Failed, HandedOff, Outcome, Succeeded, response_body
from .ownership import MANAGER
from .progress import Made, Progress
from .records import AlreadyRecorded, InProgress, RecordsUnavailable, Step
from .request import (
    MAX_STEPS,
    MalformedEvent,
    Request,
    function_account,
    loggable,
    parse_request,
)
from .resource import (
    LOGGED_REASON,
    confirm,
    handed_on,
    proven,
    refusal,
    resource_of,
    stewards,
)
from .runtime import Event, Runtime
from .settings import settings
from .spec import parse_spec
from .waiting import Budget

RECORD_LOST = RecordsUnavailable(
    "The provider could not record its progress in its records table to continue in a new "
    "invocation; see its logs"
)
LOGGED_FIELDS = ("RequestType", "StackId", "LogicalResourceId", "RequestId")
#: What a continuation that lost its record says when it cannot prove a set is its own.
FIND_YOUR_SET = (
    " Any replication set this request made or adopted carries the tag "
    f"{MANAGER} naming this resource: aws ssm-incidents list-replication-sets, then aws "
    "ssm-incidents list-tags-for-resource --resource-arn ARN."
)


class Handler:
    """The Lambda handler, built from its runtime: crhelper is set up on the first request."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.crhelper: CrhelperSeam | None = None  # none at import: the cold start stays short
        self._entry = logger.inject_lambda_context(log_event=False, clear_state=True)(self._invoke)

    def __call__(self, event: Event, context: LambdaContext) -> None:
        """The function Lambda invokes. It answers through the ResponseURL, not by return."""
        self._entry(event, context)

    def _invoke(self, event: Event, context: LambdaContext) -> None:
        fields = event if isinstance(event, dict) else {}
        logger.append_keys(  # as sent, but bounded and printable: a forged field cannot
            **{name: loggable(fields.get(name)) for name in LOGGED_FIELDS}  # silence the logs
        )
        try:
            request = parse_request(event, function_account(context.invoked_function_arn))
        except MalformedEvent as malformed:
            answer_malformed(self.runtime, malformed)
            return
        invocation = Invocation(self.runtime, request, context)
        try:
            self.crhelper = self.crhelper or CrhelperSeam(RedactUrls())
            self.crhelper.run(request.event, context, invocation.run_step, invocation.answer)
        except Exception as error:  # the last resort: crhelper itself failed
            logger.exception("unhandled error")
            invocation.answer(f"Internal error ({type(error).__name__}); see the provider's logs")


def answer_malformed(runtime: Runtime, malformed: MalformedEvent) -> None:
    """FAILED to whoever sent a malformed event, if it says where; no record is touched."""
    if not malformed.response_url:
        logger.error("no ResponseURL to answer to", extra={"reason": malformed.reason})
        return
    logger.warning("answering FAILED", extra={"reason": malformed.reason})
    body = response_body(malformed.identity, Failed(malformed.reason))
    send(runtime, malformed.response_url, body)


def send(runtime: Runtime, url: str, body: dict[str, Any]) -> None:
    """The one way a response leaves: one bounded PUT."""
    config = settings()
    responder.send(
        url,
        body,
        extra_origins=config.response_origins,
        attempts=config.response_attempts,
        sleep=runtime.sleep,
    )


class Latch:
    """First caller wins: of the step and crhelper's timer, one delivers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def claim(self) -> bool:
        return self._lock.acquire(blocking=False)


@dataclass(frozen=True)
class Done:
    """What a step came to, ready to deliver."""

    outcome: Outcome
    fresh: bool = True  # this invocation came to it (so it starts the next step, if any)
    recorded: bool = False  # it is the step's record (the next step can carry on from it)


class Invocation:
    """One delivery of a request: its step run once, its outcome delivered once.

    ``run_step`` runs on crhelper's main thread, ``answer`` on whichever of it and crhelper's
    timer comes first. Shared between them: the latch, and attributes each assigned once with
    an immutable value (``budget``, ``done``) or replaced whole (``progress.now``).
    """

    def __init__(self, runtime: Runtime, request: Request, context: LambdaContext) -> None:
        self.runtime, self.request, self.context = runtime, request, context
        self.step = Step(request.identity.request_id, request.step or 0)
        self.progress = Progress()
        self.held: list[tuple[str, str]] = []  # claims kept for the next step: main thread only
        self.latch = Latch()
        self.budget: Budget | None = None  # set as the step starts: its record is ours then
        self.outcome: Outcome | None = None  # what the step came to, before its record
        self.done: Done | None = None  # ...and, after it, ready to deliver
        self.delivery = Delivery(runtime, request, context, self.step)

    def run_step(self) -> None:
        """crhelper's registered function: the step's outcome into ``done``; never raises."""
        try:
            self.done = self._run()
        except Exception as error:  # whatever it is (a RecursionError too): one FAILED answer
            logger.exception("unexpected error")
            self.done = Done(Failed(internal_error(error)))

    def _run(self) -> Done | None:
        request, runtime = self.request, self.runtime
        refused = refusal(request, runtime)
        if refused is not None:
            return Done(refused)
        try:
            records = runtime.records()
            carried = continuation.resume(records, request)
            if request.step != 0 and carried is None:
                logger.warning("not a continuation of this request: ignored, nothing changed")
                return None
            budget = continuation.budget(
                request, carried, self.context.get_remaining_time_in_millis, runtime.clock,
                runtime.sleep,
            )  # fmt: skip
            ran = records.once(self.step, partial(self._work, budget, carried))
        except InProgress:
            logger.info("this step is running in another invocation: this one does nothing")
            return None
        except AlreadyRecorded:
            return None  # crhelper's timer answered for this step, and recorded it, first
        except RecordsUnavailable as error:
            return Done(without_records(request, runtime, error, self.held, self.context))
        return Done(ran.outcome, ran.fresh, ran.recorded)

    def _work(self, budget: Budget, carried: Carried | None) -> Outcome:
        """The step itself, in the records' care: never raises (Powertools would then delete
        the step's record, and a later delivery would run the step again)."""
        self.budget = budget  # from here, crhelper's timer completes this step's record
        self.progress = Progress(handed_on(carried))
        progress, held = self.progress, self.held
        outcome = step_outcome(
            self.request, self.runtime, carried, progress=progress, held=held, budget=budget
        )
        self.outcome = outcome  # the timer's too, should it come now
        return outcome

    def answer(self, crhelper_reason: str | None) -> None:
        """crhelper's answer (its ``_send``): after the step (None), or its own FAILED (its
        timer, or an error of its own). The first caller delivers; a later one is dropped."""
        if not self.latch.claim():
            logger.warning("already answered; not sending a second response")
            return
        try:
            if crhelper_reason is None:
                if self.done is not None:
                    self.delivery.deliver(self.done, self.progress.now, self.budget)
            else:
                done = self._instead_of_the_step(crhelper_reason)
                self.delivery.deliver(done, self.progress.now, None)
        except Exception as error:
            logger.exception("could not deliver the answer")
            if not self.delivery.sent:
                self.delivery.send(self._last_resort(error))

    def _last_resort(self, error: Exception) -> Answer:
        """What to answer when delivering failed: the step's own answer if it came to one (the
        record holds it: a redelivery answers the same), else FAILED naming the set it made."""
        outcome = self.done.outcome if self.done else None
        if isinstance(outcome, Succeeded | Failed):
            return outcome
        return Failed(internal_error(error), self.progress.now.created)

    def _instead_of_the_step(self, reason: str) -> Done:
        """crhelper answers on its own: Lambda's limit is half a second away. The step's record
        is completed with the step's outcome if it came to one, else with the failure (unless
        the step's own save is there first): whichever is the record is delivered."""
        done, budget, outcome = self.done, self.budget, self.outcome
        if done is not None:
            return done
        why = responder.redact_text(reason)
        if budget is None:  # the step did not start here: nothing of it to record
            return Done(Failed(why))
        if outcome is None:
            outcome = timer_outcome(self.request, self.runtime, self.progress.now, why, budget)
        try:
            self.runtime.records().complete(self.step, outcome)
        except AlreadyRecorded:  # the step's own outcome, recorded an instant before
            stored = self.runtime.records().read(self.step)
            return Done(stored, recorded=True) if stored else Done(outcome)
        except RecordsUnavailable:
            return Done(outcome)
        return Done(outcome, recorded=True)


class Delivery:
    """How one invocation's outcome leaves, once: the answer sent, or the next step started
    (only by the invocation that handed off, once the next step can read what it needs)."""

    def __init__(
        self, runtime: Runtime, request: Request, context: LambdaContext, step: Step
    ) -> None:
        self.runtime, self.request, self.context, self.step = runtime, request, context, step
        self.sent = False

    def deliver(self, done: Done, made: Made, budget: Budget | None) -> None:
        """Send the answer, or start the next step (only from the invocation that handed off,
        and only once the next step can read what it needs)."""
        outcome = done.outcome
        if not isinstance(outcome, HandedOff):
            self.send(outcome)
        elif not done.fresh:
            logger.info("this step already handed off: nothing to do")
        elif not done.recorded:
            self.send(self._failed(RECORD_LOST, made, budget))
        else:
            self._hand_off(outcome.carried, made, budget)

    def _hand_off(self, carried: Carried, made: Made, budget: Budget | None) -> None:
        try:
            event = continuation.next_event(self.request, carried)
            self.runtime.continue_later(event, self.context)
        except Exception as error:
            logger.exception("could not start the continuation")
            # A failure being handed on is the one to answer; else, that it could not go on.
            reason = carried.failing or f"Could not continue in a new invocation: {error}"
            failure = ProviderError(responder.redact_text(reason))
            self._answer_as_next_step(carried, self._failed(failure, made, budget))
            return
        logger.info("Lambda time is running out: continuing in a new invocation",
                    extra={"step": carried.step})  # fmt: skip

    def _failed(self, failure: ProviderError, made: Made, budget: Budget | None) -> Failed:
        """FAILED in place of a hand-off, decided while holding the answer: the claims kept
        for the next step are left to expire (they do with the next invocation's time), as a
        call to take them away could outlast this invocation, and then nothing would answer."""
        return fail(self.request, self.runtime, failure, made=made, held=[], budget=budget)

    def _answer_as_next_step(self, carried: Carried, failed: Failed) -> None:
        """Answer ``failed`` in place of the next step that could not be started, recorded as
        that step's: should Lambda start it after all, it answers the same, or finds it runs."""
        next_step = Step(self.step.request_id, carried.step)
        try:
            ran = self.runtime.records().once(next_step, lambda: failed)
        except (InProgress, AlreadyRecorded):
            return  # the next step started after all: it answers
        except RecordsUnavailable as error:
            logger.error("could not record the answer", extra={"reason": error.reason})
            self.send(failed)
            return
        if ran.fresh:
            self.send(failed)

    def send(self, outcome: Answer) -> None:
        self.sent = True
        send(self.runtime, self.request.response_url, response_body(self.request.identity, outcome))


def make_handler(runtime: Runtime) -> Handler:
    """A Lambda handler over ``runtime``: what Lambda runs, and what tests, the local runner
    and the benchmarks run with their own runtime."""
    return Handler(runtime)


# -- the step: from a request to its outcome ------------------------------------------------


def step_outcome(
    request: Request,
    runtime: Runtime,
    carried: Carried | None,
    *,
    progress: Progress,
    held: list[tuple[str, str]],
    budget: Budget,
) -> Outcome:
    """The step itself: what the step before handed on, confirmed, then the lifecycle step
    or the failure it carries on; whatever it raises is its FAILED outcome."""
    try:
        confirm(request, runtime, progress.now)
        if carried and carried.failing:  # the timer's failure, carried on to finish
            if request.request_type == "Create" and not progress.now.created:
                found = created_by(request, runtime)
                if found:
                    progress.created(found)
            failure = ProviderError(carried.failing)
            return fail_or_continue(
                request, runtime, failure, progress=progress, held=held, budget=budget
            )
        return decide(request, runtime, budget, progress, held)
    except ProviderError as error:  # the records' hand-on unconfirmed, or the failure path's
        return fail(request, runtime, error, made=progress.now, held=held, budget=budget)
    except Exception as error:
        logger.exception("unexpected error")
        failure = ProviderError(internal_error(error))
        return fail(request, runtime, failure, made=progress.now, held=held, budget=budget)


def decide(
    request: Request,
    runtime: Runtime,
    budget: Budget,
    progress: Progress,
    held: list[tuple[str, str]],
) -> Outcome:
    """Carry out ``request`` and say how it ended: SUCCESS, FAILED, or handed off."""
    try:
        physical_id = _lifecycle_step(request, runtime, budget, progress, held)
    except Handoff:
        if (request.step or 0) + 1 > MAX_STEPS:
            failure: ProviderError = DeadlineExceeded(
                f"The request took {MAX_STEPS} invocations without finishing; the provider "
                "gives up rather than chain more (is the function's Timeout far below 900 s?)"
            )
        else:
            made = progress.now
            return HandedOff(
                continuation.carry(request, budget.deadline, made.created, made.adopting)
            )
    except ProviderError as error:
        failure = error
    except Exception as error:
        logger.exception("unexpected error")
        failure = ProviderError(internal_error(error))
    else:
        logger.info("request succeeded", extra={"physical_id": physical_id})
        data = {} if request.request_type == "Delete" else {"Arn": physical_id}
        return Succeeded(physical_id, data)
    return fail_or_continue(request, runtime, failure, progress=progress, held=held, budget=budget)


def _lifecycle_step(
    request: Request,
    runtime: Runtime,
    budget: Budget,
    progress: Progress,
    held: list[tuple[str, str]],
) -> str:
    """The lifecycle step the request asks for; the physical ID to answer with."""
    api = runtime.incidents().within(budget)  # throttling waited out until the deadline
    resource = resource_of(request)
    owner = replace(stewards(request, runtime, held), api=api)
    keys = Keys(lambda region, key: runtime.kms().within(budget).describe(region, key))
    if request.request_type == "Delete":  # properties are not checked: Delete must go through
        lifecycle.delete(
            api, keys, request.physical_id, budget, resource=resource, owner=owner,
            hints=request.named_regions,
        )  # fmt: skip
        return request.physical_id
    spec = keys.resolve(parse_spec(request.properties, api.home))
    token = request.identity.request_id
    if request.request_type == "Create":
        return lifecycle.create(api, keys, spec, token, budget, owner=owner, progress=progress)
    return lifecycle.update(
        api, keys, spec, request.physical_id, token=token, budget=budget, resource=resource,
        owner=owner, hints=request.named_regions, progress=progress,
    )  # fmt: skip


def created_by(request: Request, runtime: Runtime) -> str | None:
    """The set a Create whose CreateReplicationSet call never answered made (or makes now):
    the same token and request return it, so that the FAILED answer names it for the
    rollback to delete."""
    try:
        api = runtime.incidents()
        spec = Keys(runtime.kms().describe).resolve(parse_spec(request.properties, api.home))
        marks = ownership.manager_tags(resource_of(request))
        return lifecycle.created_with(api, spec, request.identity.request_id, marks)
    except ProviderError:
        return None


# -- what a failure must still do -------------------------------------------------------------


def fail_or_continue(
    request: Request,
    runtime: Runtime,
    failure: ProviderError,
    *,
    progress: Progress,
    held: list[tuple[str, str]],
    budget: Budget,
) -> Outcome:
    """The failure path, carried on in a new invocation when deleting the set this update
    re-created takes longer than this one has left: the next step finishes it, then answers."""
    made = progress.now
    if (
        not made.recreated(request.request_type, request.physical_id)
        or (request.step or 0) >= MAX_STEPS
    ):
        return fail(request, runtime, failure, made=made, held=held, budget=budget)
    assert made.created is not None
    try:
        api = runtime.incidents().within(budget)  # throttling waited out until the deadline
        lifecycle.discard(api, made.created, budget, manager=resource_of(request).token)
    except Handoff:
        carried = continuation.carry(request, budget.deadline, made.created, made.adopting)
        return HandedOff(replace(carried, failing=failure.reason))
    except ProviderError:
        pass  # fail() says why, and how to delete it by hand
    return fail(request, runtime, failure, made=made, held=held, budget=budget)


def fail(
    request: Request,
    runtime: Runtime,
    failure: ProviderError,
    *,
    made: Made,
    held: list[tuple[str, str]],
    budget: Budget | None,
) -> Failed:
    """FAILED, never losing a set this request created.

    A Create answers with the set's ARN, so that CloudFormation's rollback Delete removes it
    (or, for a set it was adopting, puts back what the adoption changed and hands it back).
    An Update that re-created a set deleted outside the stack cannot hand it over: CloudFormation
    ignores the ID of a FAILED update and keeps the old one. That set is deleted here, within
    the request's deadline (``budget``; None: no time left, as when crhelper's timer answers),
    or the Reason says how to delete it.
    """
    adopted = made.adopting if request.request_type == "Create" else None
    reason = failure.reason
    physical_id = failure.physical_id or made.created or adopted
    previous = request.physical_id
    if held and budget is not None:  # the next invocation will not take them on
        with suppress(ProviderError):  # else each expires at the request's deadline anyway
            stewards(request, runtime, held).release_held()
    if made.recreated(request.request_type, previous) and made.created:
        reason += _discard(request, runtime, made.created, budget)
        physical_id = previous
    logger.warning("request failed", extra={"reason": reason[:LOGGED_REASON]})
    return Failed(reason, physical_id)


def _discard(request: Request, runtime: Runtime, arn: str, budget: Budget | None) -> str:
    """Delete a set no stack will own; the sentence the Reason gets about it."""
    api = runtime.incidents()
    try:
        if budget is None:
            raise Handoff
        lifecycle.discard(api, arn, budget, manager=resource_of(request).token)
    except (ProviderError, Handoff) as error:
        problem = error.reason if isinstance(error, ProviderError) else "Lambda time ran out"
        logger.error("could not delete the set this update created", extra={"arn": arn})
        return (
            f" This update created replication set {arn}, which no stack owns, and could not "
            f"delete it ({problem}). Delete it: aws ssm-incidents update-deletion-protection "
            f"--arn {arn} --no-deletion-protected --region {api.home}; aws ssm-incidents "
            f"delete-replication-set --arn {arn} --region {api.home}"
        )
    return f" The replication set {arn} this update created was deleted: no stack would own it."


def timer_outcome(
    request: Request, runtime: Runtime, made: Made, why: str, budget: Budget
) -> Outcome:
    """The failure path's outcome when the invocation is about to end, decided without I/O.
    An Update that re-created a set, or a Create whose call never answered, hands the failure
    to a new invocation, which finds and deletes (or names) that set and then answers; anything
    else answers now (a Create with its ARN)."""
    recreated = made.recreated(request.request_type, request.physical_id)
    unknown = made.creating and made.created is None  # the Create call hung
    if recreated or (request.request_type == "Create" and unknown):
        carried = continuation.carry(request, budget.deadline, made.created, made.adopting)
        return HandedOff(replace(carried, failing=why))
    return fail(request, runtime, ProviderError(why), made=made, held=[], budget=None)


def without_records(
    request: Request,
    runtime: Runtime,
    error: RecordsUnavailable,
    held: list[tuple[str, str]],
    context: LambdaContext,
) -> Failed:
    """FAILED when the records table cannot be used: nothing may change without a record. A
    continuation names the account's set only when the set's own manager mark proves it this
    resource's (a Create's FAILED, so that the rollback removes it or hands it back; an
    Update's re-created set, which the failure path then deletes)."""
    logger.error("records unavailable", extra={"reason": error.reason})
    made = Made()
    if request.request_type != "Delete" and request.step:
        made = Made(created=proven(request, runtime))
        if made.created is None:
            error = RecordsUnavailable(error.reason + FIND_YOUR_SET)
    budget = continuation.budget(
        request, None, context.get_remaining_time_in_millis, runtime.clock, runtime.sleep
    )
    return fail(request, runtime, error, made=made, held=held, budget=budget)


def internal_error(error: BaseException) -> str:
    """The Reason of an error the provider did not expect (its text redacted: it may quote a
    URL)."""
    reason = f"Internal error ({type(error).__name__}): {error}; see the provider's logs"
    return responder.redact_text(reason)


lambda_handler = make_handler(Runtime())
