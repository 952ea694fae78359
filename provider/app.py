"""Lambda entry point for ``Custom::IncidentReplicationSet``: the edge with crhelper.

A request goes one way: the event is parsed once into a :class:`~provider.request.Request`;
crhelper (the entry point, with its timer that answers before Lambda kills the invocation)
calls one function, which runs the request's step once (``provider.records``: a repeated
delivery gets the stored result back) by asking :func:`provider.decide.decide` for the outcome;
crhelper then answers through ``_send``, the one method overridden here, which sends that
outcome once, or starts the next step when the outcome is a hand-off.

Nothing builds an AWS client at import time: a request that fails validation never needs one,
and the cold start stays short.
"""

import json
import logging
import os
import threading
from dataclasses import asdict, replace
from functools import partial
from typing import Any, TextIO, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import CfnResource

from . import continuation, responder
from .decide import created_by, decide, fail, fail_or_continue, proven_set, refusal
from .errors import ProviderError
from .lifecycle import Progress
from .outcome import Carried, Failed, Outcome, Record, carried_in, response_body, to_record
from .ownership import MANAGER
from .records import InProgress, RecordsUnavailable, Step
from .request import (
    Identity,
    MalformedEvent,
    Request,
    function_account,
    loggable,
    parse_request,
)
from .runtime import Event, Runtime
from .settings import SERVICE, settings
from .waiter import Budget

#: JSON lines in ASCII: Powertools' default (ensure_ascii=False) writes any text as is, and a
#: lone surrogate in an event would fail the UTF-8 write of every line of that request.
logger = Logger(  # level: POWERTOOLS_LOG_LEVEL (default INFO)
    service=SERVICE,
    json_serializer=partial(json.dumps, separators=(",", ":"), default=str, ensure_ascii=True),
)
#: What a continuation that lost its record says when it cannot prove a set is its own.
FIND_YOUR_SET = (
    " Any replication set this request made or adopted carries the tag "
    f"{MANAGER} naming this resource: aws ssm-incidents list-replication-sets, then aws "
    "ssm-incidents list-tags-for-resource --resource-arn ARN."
)
LOGGED_FIELDS = ("RequestType", "StackId", "LogicalResourceId", "RequestId")


def send_logs_to(stream: TextIO) -> TextIO:
    """Send the provider's JSON log lines to ``stream`` (Lambda's is stdout); the previous
    stream comes back, for a host that runs the handler elsewhere to restore."""
    handler = cast(logging.StreamHandler[TextIO], logger.registered_handler)
    previous = handler.setStream(stream)
    return previous if previous is not None else stream


def log_formatter() -> logging.Formatter:
    """The formatter of the provider's JSON lines, for a host that captures them."""
    return logger.registered_formatter


class RedactUrls(logging.Filter):
    """Cut query strings (presigned credentials) out of any URL a library logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = responder.redact_text(record.getMessage())
        record.args = ()
        return True


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


def answer(runtime: Runtime, url: str, identity: Identity, outcome: Failed) -> None:
    """Answer FAILED outside any step (a malformed event, the last resort)."""
    send(runtime, url, response_body(identity, outcome))


class Provider(CfnResource):
    """crhelper's CfnResource, answering with the step's recorded outcome.

    The one override is ``_send`` (private in crhelper 2.0.x, the pinned range; a test fails
    if crhelper stops calling it so). crhelper calls it to answer: after our function with no
    status, and on its own with FAILED (its timer's "Execution timed out" half a second before
    Lambda's limit). Its own sender retries forever and counts any HTTP status as delivered;
    ours is bounded. Whoever calls first answers; the other is dropped.
    """

    def __init__(self, runtime: Runtime) -> None:
        # WARNING: at crhelper's default DEBUG it logs whole events, ResponseURL included.
        # sleep_on_delete=0: crhelper otherwise waits 120 s before answering every Delete.
        # AWS_SAM_LOCAL, while crhelper builds itself: it then skips the lambda, events and logs
        # clients of its polling (100 ms of the first request), which this provider does not
        # use; with no poll function registered, crhelper reads the flag for nothing else.
        previous = os.environ.get("AWS_SAM_LOCAL")
        os.environ["AWS_SAM_LOCAL"] = "true"
        try:
            super().__init__(log_level="WARNING", boto_level="WARNING", sleep_on_delete=0)
        finally:
            if previous is None:
                del os.environ["AWS_SAM_LOCAL"]
            else:
                os.environ["AWS_SAM_LOCAL"] = previous
        for name in ("crhelper", "crhelper.resource_helper", "crhelper.utils"):
            logging.getLogger(name).setLevel(logging.WARNING)
            logging.getLogger(name).addFilter(RedactUrls())
        self.runtime = runtime
        self.create(self._decide)
        self.update(self._decide)
        self.delete(self._decide)
        self.request: Request | None = None
        self.context: LambdaContext | None = None
        self.progress = Progress()
        self.budget: Budget | None = None
        self.record: Record | None = None  # what the step came to: sent, or carried on
        self.fresh = False  # the step ran in this invocation (not a repeated delivery)
        self.saved = True  # its result is in the records
        self.silent = False  # a delivery that must not answer
        self._answered = threading.Lock()  # held once this invocation has answered
        self._deciding = threading.Lock()  # the step's own result or the timer's: one wins

    def handle(self, request: Request, context: LambdaContext) -> None:
        """One invocation: crhelper runs ``_decide``, then answers through ``_send``."""
        self.request, self.context = request, context
        self.progress, self.budget, self.record = Progress(), None, None
        self.fresh = self.silent = self.saved = False
        if self._answered.locked():
            self._answered.release()
        self(dict(request.event), context)

    @property
    def answered(self) -> bool:
        """Whether this invocation has sent its answer."""
        return self._answered.locked()

    @property
    def step(self) -> Step:
        assert self.request is not None
        return Step(self.request.identity.request_id, self.request.step or 0)

    def _decide(self, event: Event, context: LambdaContext) -> None:
        request = self.request
        assert request is not None
        refused = refusal(request, self.runtime)
        if refused is not None:
            self.record = to_record(request.identity, refused)
            return
        try:
            records = self.runtime.records()
            carried = continuation.resume(records, request)
            if request.step != 0 and carried is None:
                logger.warning("not a continuation of this request: ignored, nothing changed")
                self.silent = True
                return
            self.progress = Progress(
                created=carried.created if carried else None,
                adopting=carried.adopting if carried else None,
            )
            self.budget = continuation.budget(
                request,
                carried,
                context.get_remaining_time_in_millis,
                self.runtime.clock,
                self.runtime.sleep,
            )
            budget = self.budget

            def work() -> Record:
                if carried and carried.failing:  # the timer's failure, carried on to finish
                    if request.request_type == "Create" and not self.progress.created:
                        self.progress.created = created_by(request, self.runtime)
                    failure = ProviderError(carried.failing)
                    outcome: Outcome = fail_or_continue(
                        request, self.runtime, failure, self.progress, budget
                    )
                else:
                    outcome = decide(request, self.runtime, budget, self.progress)
                with self._deciding:  # the step's result is the timer's, if it came first
                    self.record = self.record or to_record(request.identity, outcome)
                    self.fresh = True
                    return self.record

            self.record, self.fresh, self.saved = records.once(self.step, work)
        except InProgress:
            logger.info("this step is running in another invocation: this one does nothing")
            self.silent = True
        except RecordsUnavailable as error:
            logger.error("records unavailable", extra={"reason": error.reason})
            if request.request_type != "Delete" and request.step and not self.progress.created:
                # A continuation: only the records knew the set it made or adopted. It names
                # the account's set only when the set's own manager mark proves it is this
                # resource's (a Create's FAILED, so that the rollback removes it or hands it
                # back; an Update's re-created set, which the failure path then deletes).
                self.progress.created = proven_set(request, self.runtime)
                if self.progress.created is None:
                    error = RecordsUnavailable(error.reason + FIND_YOUR_SET)
            # A set this request re-created is deleted within this invocation's time.
            budget = self.budget or continuation.budget(
                request,
                None,
                context.get_remaining_time_in_millis,
                self.runtime.clock,
                self.runtime.sleep,
            )
            failed = fail(request, self.runtime, error, self.progress, budget)  # keeps its ARN
            self.record = to_record(request.identity, failed)

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        request = self.request
        if request is None or not self._answered.acquire(blocking=False):
            logger.warning("already answered; not sending a second response")
            return
        if status is not None or (self.record is None and not self.silent):
            # crhelper answers on its own: its timer, or our function raised. Whichever of
            # the step and the timer comes first makes the step's record; the other keeps it.
            why = responder.redact_text(reason if status is not None else str(self.Reason))
            with self._deciding:
                timer_first = self.record is None
                if timer_first:
                    self.record, self.fresh = self._failed_now(why), True
            if timer_first:
                self._deliver_failure()
                return
        record = self.record
        if self.silent or record is None:
            return
        carried = carried_in(record)
        if carried is None:
            send(self.runtime, request.response_url, record["answer"])
            return
        if not self.fresh:
            logger.info("this step already handed off: nothing to do")
            return
        self._continue(request, carried)

    def _hand_off(self, request: Request, carried: Carried) -> None:
        """Start the next step, whose state must be in the records first: record it now
        unless it is (the timer came first, or the step's record failed)."""
        if not self.saved:
            try:
                self.runtime.records().complete(self.step, {"handed_off": asdict(carried)})
            except RecordsUnavailable:
                raise RecordsUnavailable(
                    "The provider could not record its progress in its records table to "
                    "continue in a new invocation; see its logs"
                ) from None
            self.saved = True
        context = cast(LambdaContext, self.context)
        self.runtime.continue_later(continuation.next_event(request, carried), context)

    def _continue(self, request: Request, carried: Carried) -> None:
        """Start the next step; where that cannot be, the failure path answers instead."""
        try:
            self._hand_off(request, carried)
        except Exception as error:
            logger.exception("could not start the continuation")
            failure = (
                error
                if isinstance(error, ProviderError)
                else ProviderError(
                    responder.redact_text(f"Could not continue in a new invocation: {error}")
                )
            )
            outcome = fail(request, self.runtime, failure, self.progress, self.budget)
            self._finish(to_record(request.identity, outcome))
            return
        logger.info(
            "Lambda time is running out: continuing in a new invocation",
            extra={"step": carried.step},
        )

    def _failed_now(self, why: str) -> Record:
        """The failure path's record when the invocation is about to end (no I/O: decided
        under the lock). An Update that re-created a set, or a Create whose call never
        answered, hands the failure to a new invocation, which finds and deletes (or names)
        that set and then answers; anything else answers now (a Create with its ARN)."""
        request, progress = self.request, self.progress
        assert request is not None
        recreated = progress.recreated(request.request_type, request.physical_id)
        unknown = progress.creating and progress.created is None  # the Create call hung
        if (recreated or (request.request_type == "Create" and unknown)) and self.budget:
            carried = continuation.carry(
                request, self.budget.deadline, progress.created, progress.adopting
            )
            return {"handed_off": asdict(replace(carried, failing=why))}
        return to_record(
            request.identity, fail(request, self.runtime, ProviderError(why), progress, None)
        )

    def _deliver_failure(self) -> None:
        """Send the timer's record: the failure handed on, or answered now."""
        request, record = self.request, self.record
        assert request is not None and record is not None
        carried = carried_in(record)
        if carried is not None:
            try:
                self.saved = False  # the record holds the step's result, not the timer's
                self._hand_off(request, carried)
                return
            except Exception:
                logger.exception("could not hand the failure on; answering now")
            failure = ProviderError(carried.failing or "Execution timed out")
            record = to_record(
                request.identity, fail(request, self.runtime, failure, self.progress, None)
            )
        self._finish(record)

    def _finish(self, record: Record) -> None:
        """Send an answer the edge decided, and make it the step's record."""
        request = self.request
        assert request is not None
        self.record = record
        send(self.runtime, request.response_url, record["answer"])
        try:
            self.runtime.records().complete(self.step, record)
        except RecordsUnavailable as error:
            logger.error("could not record the answer", extra={"reason": error.reason})


class Handler:
    """The Lambda handler, built from its runtime: crhelper is set up on the first request."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.provider: Provider | None = None  # none at import: the cold start stays short
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
            self._answer_malformed(malformed)
            return
        try:
            if self.provider is None:
                self.provider = Provider(self.runtime)
            self.provider.handle(request, context)
        except Exception as error:  # the last resort: crhelper itself failed
            logger.exception("unhandled error")
            if self.provider is not None and self.provider.answered:
                return  # one answer per invocation, even now
            reason = f"Internal error ({type(error).__name__}); see the provider's logs"
            answer(self.runtime, request.response_url, request.identity, Failed(reason))

    def _answer_malformed(self, malformed: MalformedEvent) -> None:
        if not malformed.response_url:
            logger.error("no ResponseURL to answer to", extra={"reason": malformed.reason})
            return
        logger.warning("answering FAILED", extra={"reason": malformed.reason})
        answer(self.runtime, malformed.response_url, malformed.identity, Failed(malformed.reason))


def make_handler(runtime: Runtime) -> Handler:
    """A Lambda handler over ``runtime``: what Lambda runs, and what tests, the local runner
    and the benchmarks run with their own runtime."""
    return Handler(runtime)


lambda_handler = make_handler(Runtime())
