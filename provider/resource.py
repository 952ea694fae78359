"""What the provider knows of the resource a request is about, before and around its step:
whether its properties are refused, who it is among the set's managers, and whether a set is
provably its own. Used by the step runner (``provider.app``); no crhelper, no records of steps.
"""

import hashlib
import json
from collections.abc import Mapping

from aws_lambda_powertools import Logger

from . import ownership
from .converge import locate
from .errors import InvalidProperties, ProviderError
from .outcome import Carried, Failed
from .ownership import MANAGER, Resource
from .progress import Made
from .request import Request
from .runtime import Runtime
from .settings import SERVICE
from .spec import parse_spec
from .stewards import Stewards

log = Logger(service=SERVICE, child=True)
#: A Reason is logged up to this many characters (the answer itself stays within 4 KB).
LOGGED_REASON = 4096


def refusal(request: Request, runtime: Runtime) -> Failed | None:
    """FAILED for properties that break a rule, else None: decided before any record, since
    such a request changes nothing and gets the same answer however often it comes."""
    if request.request_type == "Delete" or request.step != 0:  # continuations: checked before
        return None
    try:
        parse_spec(request.properties, runtime.incidents().home)
    except InvalidProperties as error:
        log.warning("request failed", extra={"reason": error.reason[:LOGGED_REASON]})
        return Failed(error.reason)
    return None


def handed_on(carried: Carried | None) -> Made:
    """What the step before handed on (named by any answer; acted on once ``confirm`` says)."""
    if carried is None:
        return Made()
    return Made(created=carried.created, adopting=carried.adopting)


def confirm(request: Request, runtime: Runtime, made: Made) -> None:
    """Refuse to act on a set the records hand on unless the set's own manager mark names this
    resource (a Create's set is born with it): the records table is writable by more than this
    function (README, "What the provider trusts"). A set that cannot be read raises what the
    read met; a set that is gone is the step's to find."""
    if not made.created:
        return
    found = locate(runtime.incidents(), made.created, request.named_regions, whole=True)
    if found is not None and not manages(request, found.live.tags):
        raise ProviderError(
            f"The provider's records hand on replication set {made.created}, whose {MANAGER} "
            "tag does not name this resource: nothing was changed. Check who can write the "
            "provider's records table."
        )


def manages(request: Request, tags: Mapping[str, str] | None) -> bool:
    """Whether a set's tags name this request's resource as its manager."""
    return ownership.read_marks(tags).manager == resource_of(request).token


def stewards(request: Request, runtime: Runtime, held: list[tuple[str, str]]) -> Stewards:
    """The resource of ``request``, with what its Update asked and what it undoes (digests of
    the properties and of the OldResourceProperties: an Update refused to a non-manager is
    recognised when its rollback comes)."""
    return Stewards(
        runtime.incidents(),
        runtime.records(),
        resource_of(request),
        request.identity.request_id,
        _digest(request.properties),
        _digest(request.old_properties) if request.request_type == "Update" else "",
        held,
    )


def resource_of(request: Request) -> Resource:
    return Resource(request.identity.stack_id, request.identity.logical_id)


def _digest(properties: object) -> str:
    text = json.dumps(properties, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def proven(request: Request, runtime: Runtime, arn: str | None = None) -> str | None:
    """The replication set ``arn`` (by default the account's) when its manager mark names
    this request's resource (it made or adopted it); None otherwise, or when it cannot be
    read. What a step may act on or name: never a set it cannot prove is its own."""
    try:
        api = runtime.incidents()
        arn = arn or api.existing_arn()
        found = arn and locate(api, arn, request.named_regions, whole=True)
    except ProviderError:
        return None
    if not found:
        return None
    return found.live.arn if manages(request, found.live.tags) else None
