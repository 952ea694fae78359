"""Lambda entry point for ``Custom::IncidentReplicationSet``: the edge with crhelper.

A request goes one way: the event is parsed once into a :class:`~provider.request.Request`;
crhelper (the entry point, with its timer that answers before Lambda kills the invocation)
calls one function, which asks :func:`provider.decide.decide` for the outcome; crhelper then
answers through ``_send``, the one method overridden here, which sends that outcome once.

Nothing builds an AWS client at import time: a request that fails validation never needs one,
and the cold start stays short.
"""

import logging
import os
import threading
from typing import Any, TextIO, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import CfnResource

from . import responder
from .decide import decide
from .lifecycle import Progress
from .outcome import Failed, HandedOff, Outcome, response_body
from .request import Identity, MalformedEvent, Request, parse_request
from .runtime import Event, Runtime
from .settings import SERVICE, settings

logger = Logger(service=SERVICE)  # level: POWERTOOLS_LOG_LEVEL (default INFO)


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


def answer(runtime: Runtime, url: str, identity: Identity, outcome: Outcome) -> None:
    """The one way a response leaves: nothing for a hand-off, else one bounded PUT."""
    if isinstance(outcome, HandedOff):
        logger.info("handed off: the continuation will answer CloudFormation")
        return
    config = settings()
    responder.send(
        url,
        response_body(identity, outcome),
        extra_origins=config.response_origins,
        attempts=config.response_attempts,
        sleep=runtime.sleep,
    )


class Provider(CfnResource):
    """crhelper's CfnResource, answering with the request's outcome through :func:`answer`.

    The one override is ``_send`` (private in crhelper 2.0.x, the pinned range; a test fails
    if crhelper stops calling it so). crhelper calls it to answer: after our function with no
    status, and on its own with FAILED (its timer's "Execution timed out" half a second before
    Lambda's limit, a failure in itself). Its own sender retries forever and counts any HTTP
    status as delivered; ours is bounded. Whoever calls first answers; the other is dropped.
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
        self.progress = Progress()
        self.outcome: Outcome | None = None
        self._answered = threading.Lock()  # held once this invocation has answered

    def handle(self, request: Request, context: LambdaContext) -> None:
        """One invocation: crhelper runs ``_decide``, then answers through ``_send``."""
        self.request, self.outcome = request, None
        self.progress = Progress(created=request.continuation.created)
        if self._answered.locked():
            self._answered.release()
        self(dict(request.event), context)

    @property
    def answered(self) -> bool:
        """Whether this invocation has sent its answer."""
        return self._answered.locked()

    def _decide(self, event: Event, context: LambdaContext) -> None:
        assert self.request is not None
        self.outcome = decide(self.request, self.runtime, context, self.progress)

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        if self.request is None or not self._answered.acquire(blocking=False):
            logger.warning("already answered; not sending a second response")
            return
        outcome = self.outcome
        if status is not None or outcome is None:  # crhelper answers on its own
            why = reason if status is not None else str(self.Reason)
            outcome = Failed(responder.redact_text(why), self.progress.created)
        answer(self.runtime, self.request.response_url, self.request.identity, outcome)


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
        logger.append_keys(
            RequestType=fields.get("RequestType"),
            StackId=fields.get("StackId"),
            LogicalResourceId=fields.get("LogicalResourceId"),
            RequestId=fields.get("RequestId"),
        )
        try:
            request = parse_request(event)
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
