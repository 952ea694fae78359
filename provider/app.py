"""Lambda entry point for ``Custom::IncidentReplicationSet``.

crhelper speaks CloudFormation's protocol, Powertools logs, :mod:`provider.lifecycle` decides.
Nothing here builds an AWS client at import time: a request that fails validation never needs
one, and the cold start stays short.
"""

import logging
import os
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import CfnResource

from . import continuation, envelope, lifecycle, responder
from .errors import Handoff, ProviderError
from .keys import Keys
from .runtime import Event, Runtime
from .settings import SERVICE, settings
from .spec import parse_spec
from .waiter import Budget

logger = Logger(service=SERVICE)  # level: POWERTOOLS_LOG_LEVEL (default INFO)


RUNTIME = Runtime()  # tests and the local runner swap parts of it


class RedactUrls(logging.Filter):
    """Cut query strings (presigned credentials) out of any URL a library logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = responder.redact_text(record.getMessage())
        record.args = ()
        return True


class Provider(CfnResource):
    """crhelper's CfnResource with a bounded response sender and continuation by self-invoke.

    Overrides two private methods of crhelper 2.0.x (the pinned range): ``_send``, whose
    sender retries forever and counts any HTTP status as delivered, and ``_cfn_response``,
    so that an invocation that handed off sends nothing. One answer per invocation: when
    crhelper's own timer answers "Execution timed out" first, the late answer is dropped.
    """

    def __init__(self) -> None:
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
        self.deferred = False
        self._answer = threading.Lock()  # held once this invocation has answered

    def start_invocation(self) -> None:
        self.deferred = False
        if self._answer.locked():
            self._answer.release()

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        if not self._answer.acquire(blocking=False):
            logger.warning("already answered; not sending a second response")
            return
        body = {
            "Status": status or self.Status,
            "Reason": reason if status else str(self.Reason),
            "PhysicalResourceId": str(self.PhysicalResourceId),
            "StackId": self.StackId,
            "RequestId": self.RequestId,
            "LogicalResourceId": self.LogicalResourceId,
            "NoEcho": self.NoEcho,
            "Data": self.Data,
        }
        config = settings()
        responder.send(
            getattr(self, "_response_url", ""),
            body,
            extra_origins=config.response_origins,
            attempts=config.response_attempts,
            sleep=RUNTIME.sleep,
        )

    def _cfn_response(self, event: Event) -> None:
        if self.deferred:
            logger.info("handed off: the continuation will answer CloudFormation")
            return
        super()._cfn_response(event)  # type: ignore[misc]


@cache
def helper() -> Provider:
    """One crhelper instance per container, built on the first request."""
    provider = Provider()
    provider.create(handle)
    provider.update(handle)
    provider.delete(handle)
    return provider


def handle(event: Event, context: LambdaContext) -> str | None:
    """crhelper's create, update and delete function: route to the lifecycle step.

    The envelope was checked (provider.envelope). Powertools' CloudFormation event class would
    read the same fields, but importing its package loads every event class: 25 ms of cold start.
    """
    request_type, token = event["RequestType"], event["RequestId"]
    physical_id = event.get("PhysicalResourceId") or ""
    names = lifecycle.Names(_stack_name(event["StackId"]), event["LogicalResourceId"])
    hints = named_regions(event)

    def work(budget: Budget, progress: lifecycle.Progress) -> str:
        api = RUNTIME.incidents()
        if request_type == "Delete":  # properties are not checked: Delete must go through
            lifecycle.delete(api, physical_id, budget, names, hints)
            return physical_id
        keys = Keys(RUNTIME.kms().describe)
        spec = keys.resolve(parse_spec(event.get("ResourceProperties") or {}, api.home))
        if request_type == "Create":
            return lifecycle.create(api, keys, spec, token, budget, progress=progress)
        return lifecycle.update(
            api,
            keys,
            spec,
            physical_id,
            token=token,
            budget=budget,
            names=names,
            hints=hints,
            progress=progress,
        )

    return run(event, context, work)


def _stack_name(stack_id: str) -> str:
    """arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/GUID -> NAME."""
    parts = stack_id.split("/")
    return parts[1] if len(parts) >= 3 else stack_id


def named_regions(event: Event) -> tuple[str, ...]:
    """The Region names the event's properties (new and old) list, read leniently: where to
    look for a set that the provider's own Region no longer sees."""
    found: list[str] = []
    for key in ("ResourceProperties", "OldResourceProperties"):
        properties = event.get(key)
        regions = properties.get("Regions") if isinstance(properties, dict) else None
        for item in regions if isinstance(regions, list) else []:
            name = item.get("RegionName") if isinstance(item, dict) else None
            if isinstance(name, str) and name not in found:
                found.append(name)
    return tuple(found)


Work = Callable[[Budget, lifecycle.Progress], str]


def run(event: Event, context: LambdaContext, work: Work) -> str | None:
    """Do the work and record the outcome on the helper: SUCCESS, FAILED, or handed off."""
    provider = helper()
    budget = continuation.budget(event, context, RUNTIME)
    progress = lifecycle.Progress(created=continuation.created(event))
    try:
        physical_id = work(budget, progress)
    except Handoff:
        try:
            return _hand_off(provider, event, context, budget.deadline, progress)
        except Exception as error:
            logger.exception("could not start the continuation")
            failure = ProviderError(
                responder.redact_text(f"Could not continue in a new invocation: {error}")
            )
    except ProviderError as error:
        failure = error
    except Exception as error:
        logger.exception("unexpected error")
        reason = f"Internal error ({type(error).__name__}): {error}; see the provider's logs"
        failure = ProviderError(responder.redact_text(reason))
    else:
        if event.get("RequestType") != "Delete":
            provider.Data = {"Arn": physical_id}
        logger.info("request succeeded", extra={"physical_id": physical_id})
        return physical_id
    return _fail(provider, event, failure, progress, budget)


def _fail(
    provider: Provider,
    event: Event,
    failure: ProviderError,
    progress: lifecycle.Progress,
    budget: Budget,
) -> str | None:
    """Answer FAILED, never losing a set this request created.

    A Create answers with the set's ARN, so that CloudFormation's rollback Delete removes it.
    An Update that re-created a set deleted outside the stack cannot hand it over: CloudFormation
    ignores the ID of a FAILED update and keeps the old one. That set is deleted here, within
    the request's deadline, or the Reason says how to delete it.
    """
    reason, physical_id = failure.reason, failure.physical_id or progress.created
    previous = event.get("PhysicalResourceId")
    if event.get("RequestType") == "Update" and progress.created and progress.created != previous:
        reason += _discard(progress.created, budget)
        physical_id = previous
    logger.warning("request failed", extra={"reason": reason})
    provider.Status, provider.Reason = "FAILED", reason
    return physical_id


def _discard(arn: str, budget: Budget) -> str:
    """Delete a set no stack will own; the sentence the Reason gets about it."""
    api = RUNTIME.incidents()
    try:
        lifecycle.discard(api, arn, budget)
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


def _hand_off(
    provider: Provider,
    event: Event,
    context: LambdaContext,
    deadline: float,
    progress: lifecycle.Progress,
) -> str | None:
    next_event = continuation.carry(event, deadline, progress.created)
    attempt = continuation.state(next_event)[1]
    RUNTIME.continue_later(next_event, context)
    logger.info(
        "Lambda time is running out: continuing in a new invocation", extra={"attempt": attempt}
    )
    provider.deferred = True
    return None


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: Event, context: LambdaContext) -> None:
    """The function CloudFormation invokes. It answers through the ResponseURL, not by return."""
    fields = event if isinstance(event, dict) else {}
    logger.append_keys(
        RequestType=fields.get("RequestType"),
        StackId=fields.get("StackId"),
        LogicalResourceId=fields.get("LogicalResourceId"),
        RequestId=fields.get("RequestId"),
    )
    try:
        wrong = envelope.problems(event)
        if wrong:
            _answer_malformed(fields, "Malformed CloudFormation event: " + "; ".join(wrong))
            return
        provider = helper()
        provider.start_invocation()
        provider(event, context)
    except Exception as error:  # the last resort: crhelper itself failed
        logger.exception("unhandled error")
        _answer_malformed(
            fields, f"Internal error ({type(error).__name__}); see the provider's logs"
        )


def _answer_malformed(event: Event, reason: str) -> None:
    url = event.get("ResponseURL")
    if not isinstance(url, str) or not url:
        logger.error("no ResponseURL to answer to", extra={"reason": reason})
        return
    logger.warning("answering FAILED", extra={"reason": reason})
    config = settings()
    responder.send(
        url,
        envelope.failed_response(event, reason),
        extra_origins=config.response_origins,
        attempts=config.response_attempts,
        sleep=RUNTIME.sleep,
    )
