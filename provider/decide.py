"""From a request to its outcome: the lifecycle step, and what a failure must still do.

No crhelper and no HTTP here: :func:`decide` returns a :class:`~provider.outcome.Outcome` and
the edge sends it. Reading top to bottom: validate and resolve, run the lifecycle step; on
running out of Lambda time, hand off to a new invocation; on failure, never lose a set this
request created (:func:`fail`, which the edge also uses for the failures it meets itself).
"""

import hashlib
import json
from contextlib import suppress
from dataclasses import replace

from aws_lambda_powertools import Logger

from . import continuation, lifecycle, ownership, responder
from .converge import Names, locate
from .errors import DeadlineExceeded, Handoff, InvalidProperties, ProviderError
from .keys import Keys
from .outcome import Failed, HandedOff, Outcome, Succeeded
from .ownership import Owner
from .request import MAX_STEPS, Request
from .runtime import Runtime
from .settings import SERVICE
from .spec import parse_spec
from .stewards import Stewards
from .waiter import Budget

log = Logger(service=SERVICE, child=True)
#: A Reason is logged up to this many characters (the answer itself stays within 4 KB).
LOGGED_REASON = 4096


def decide(
    request: Request, runtime: Runtime, budget: Budget, progress: lifecycle.Progress
) -> Outcome:
    """Carry out ``request`` and say how it ended: SUCCESS, FAILED, or handed off."""
    try:
        physical_id = _step(request, runtime, budget, progress)
    except Handoff:
        if (request.step or 0) + 1 > MAX_STEPS:
            failure: ProviderError = DeadlineExceeded(
                f"The request took {MAX_STEPS} invocations without finishing; the provider "
                "gives up rather than chain more (is the function's Timeout far below 900 s?)"
            )
        else:
            return HandedOff(
                continuation.carry(request, budget.deadline, progress.created, progress.adopting)
            )
    except ProviderError as error:
        failure = error
    except Exception as error:
        log.exception("unexpected error")
        reason = f"Internal error ({type(error).__name__}): {error}; see the provider's logs"
        failure = ProviderError(responder.redact_text(reason))
    else:
        log.info("request succeeded", extra={"physical_id": physical_id})
        data = {} if request.request_type == "Delete" else {"Arn": physical_id}
        return Succeeded(physical_id, data)
    return fail_or_continue(request, runtime, failure, progress, budget)


def fail_or_continue(
    request: Request,
    runtime: Runtime,
    failure: ProviderError,
    progress: lifecycle.Progress,
    budget: Budget,
) -> Outcome:
    """The failure path, carried on in a new invocation when deleting the set this update
    re-created takes longer than this one has left: the next step finishes it, then answers."""
    recreated = progress.recreated(request.request_type, request.physical_id)
    if not recreated or (request.step or 0) >= MAX_STEPS:
        return fail(request, runtime, failure, progress, budget)
    assert progress.created is not None
    try:
        lifecycle.discard(runtime.incidents().within(budget), progress.created, budget)
    except Handoff:
        carried = continuation.carry(request, budget.deadline, progress.created, progress.adopting)
        return HandedOff(replace(carried, failing=failure.reason))
    except ProviderError:
        pass  # fail() says why, and how to delete it by hand
    return fail(request, runtime, failure, progress, budget)


def refusal(request: Request, runtime: Runtime) -> Failed | None:
    """FAILED for properties that break a rule, else None: decided before any record, since
    such a request changes nothing and gets the same answer however often it comes."""
    if request.request_type == "Delete" or request.step:
        return None
    try:
        parse_spec(request.properties, runtime.incidents().home)
    except InvalidProperties as error:
        log.warning("request failed", extra={"reason": error.reason[:LOGGED_REASON]})
        return Failed(error.reason)
    return None


def created_by(request: Request, runtime: Runtime) -> str | None:
    """The set a Create whose CreateReplicationSet call never answered made (or makes now):
    the same token and request return it, so that the FAILED answer names it for the
    rollback to delete."""
    try:
        api = runtime.incidents()
        spec = Keys(runtime.kms().describe).resolve(parse_spec(request.properties, api.home))
        marks = ownership.manager_tags(owner_of(request))
        return lifecycle.created_with(api, spec, request.identity.request_id, marks)
    except ProviderError:
        return None


def proven_set(request: Request, runtime: Runtime) -> str | None:
    """The account's replication set when its manager mark names this request's resource
    (it made or adopted it); None otherwise, or when it cannot be read. What a continuation
    that lost its record may name: never a set it cannot prove is its own."""
    try:
        api = runtime.incidents()
        arn = api.existing_arn()
        found = arn and locate(api, arn, request.named_regions, whole=True)
    except ProviderError:
        return None
    if not found:
        return None
    marks = ownership.read_marks(found.live.tags)
    return found.live.arn if marks.manager == owner_of(request).token else None


def owner_of(request: Request) -> Owner:
    return Owner(request.identity.stack_id, request.identity.logical_id)


def stewards(
    request: Request, runtime: Runtime, held: list[tuple[str, str]] | None = None
) -> Stewards:
    """The resource of ``request``, with what its Update asked and what it undoes (digests of
    the properties and of the OldResourceProperties: an Update refused to a non-manager is
    recognised when its rollback comes)."""
    return Stewards(
        runtime.incidents(),
        runtime.records(),
        owner_of(request),
        request.identity.request_id,
        _digest(request.properties),
        _digest(request.old_properties) if request.request_type == "Update" else "",
        held if held is not None else [],
    )


def _digest(properties: object) -> str:
    text = json.dumps(properties, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _step(request: Request, runtime: Runtime, budget: Budget, progress: lifecycle.Progress) -> str:
    """The lifecycle step the request asks for; the physical ID to answer with."""
    api = runtime.incidents().within(budget)  # throttling waited out until the deadline
    names = Names(request.stack_name, request.identity.logical_id)
    owner = replace(stewards(request, runtime, progress.held), api=api)
    keys = Keys(lambda region, key: runtime.kms().within(budget).describe(region, key))
    if request.request_type == "Delete":  # properties are not checked: Delete must go through
        lifecycle.delete(
            api,
            keys,
            request.physical_id,
            budget,
            names=names,
            owner=owner,
            hints=request.named_regions,
        )
        return request.physical_id
    spec = keys.resolve(parse_spec(request.properties, api.home))
    token = request.identity.request_id
    if request.request_type == "Create":
        return lifecycle.create(api, keys, spec, token, budget, owner=owner, progress=progress)
    return lifecycle.update(
        api,
        keys,
        spec,
        request.physical_id,
        token=token,
        budget=budget,
        names=names,
        owner=owner,
        hints=request.named_regions,
        progress=progress,
    )


def fail(
    request: Request,
    runtime: Runtime,
    failure: ProviderError,
    progress: lifecycle.Progress,
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
    adopted = progress.adopting if request.request_type == "Create" else None
    reason = failure.reason
    physical_id = failure.physical_id or progress.created or adopted
    previous = request.physical_id
    if progress.held and budget is not None:  # the next invocation will not take them on
        with suppress(ProviderError):  # else each expires at the request's deadline anyway
            stewards(request, runtime, progress.held).release_held()
    if progress.recreated(request.request_type, previous) and progress.created:
        reason += _discard(runtime, progress.created, budget)
        physical_id = previous
    log.warning("request failed", extra={"reason": reason[:LOGGED_REASON]})
    return Failed(reason, physical_id)


def _discard(runtime: Runtime, arn: str, budget: Budget | None) -> str:
    """Delete a set no stack will own; the sentence the Reason gets about it."""
    api = runtime.incidents()
    try:
        if budget is None:
            raise Handoff
        lifecycle.discard(api, arn, budget)
    except (ProviderError, Handoff) as error:
        problem = error.reason if isinstance(error, ProviderError) else "Lambda time ran out"
        log.error("could not delete the set this update created", extra={"arn": arn})
        return (
            f" This update created replication set {arn}, which no stack owns, and could not "
            f"delete it ({problem}). Delete it: aws ssm-incidents update-deletion-protection "
            f"--arn {arn} --no-deletion-protected --region {api.home}; aws ssm-incidents "
            f"delete-replication-set --arn {arn} --region {api.home}"
        )
    return f" The replication set {arn} this update created was deleted: no stack would own it."
