"""Changing who manages the set: the marks on the set (``provider.ownership``), written under a
claim, and the notes one resource keeps about it in its deployment's records.

Tags have no conditional write, so two requests that change the marks at the same moment (two
adoptions, an adoption and the manager's Delete) must not both win another way: each first tags
the set with a claim of its own (a key per resource, so neither overwrites the other), then reads
the tags back; whoever sees another's live claim takes its own away and waits, and tries again.
Of two requests that both wrote before either read, each sees the other: neither goes on, and
the jittered wait lets one through next time. A claim expires with the invocation that took it,
so one left by an invocation Lambda ended (crhelper's timer) blocks nobody after it.
"""

import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from . import ownership
from .actions import TagSet, UntagSet
from .errors import Handoff, ServiceFailure
from .incidents import IncidentsApi, NotFound
from .live import LiveReplicationSet
from .ownership import Resource
from .settings import SERVICE
from .waiting import Budget

log = Logger(service=SERVICE, child=True)

#: Tries at a claim before the request fails saying another is changing the marks.
CLAIM_TRIES = 4
#: Seconds to wait after a lost claim, times the try, plus up to one second of jitter.
CLAIM_BACKOFF = 2.0
#: How long a claim kept across a hand-off outlasts the invocation that kept it: time for
#: Lambda to start the next invocation, which takes the claim again among its first calls.
#: One that starts later, or dies first, holds nobody up past that; an adoption then checks
#: whether another adopted the set meanwhile, and a hand-back re-reads who manages it.
NEXT_INVOCATION_SECONDS = 300.0


def crowded(arn: str, tags: Mapping[str, str] | None, region: str) -> ServiceFailure:
    """The failure for a set with more than 47 tags of its own (made by hand, or under an
    earlier version, which allowed 50): what to remove, and how."""
    excess = ownership.excess_tags(tags)
    own = len(ownership.template_tags(tags or {}))
    return ServiceFailure(
        f"Replication set {arn} has {own} tags of its own; the provider keeps up to "
        f"{ownership.RESERVED_TAGS} of Incident Manager's 50 to record who manages it (keys "
        f"'{ownership.RESERVED_PREFIX}*'), so a set may have at most "
        f"{50 - ownership.RESERVED_TAGS}; nothing was changed. Remove {len(excess)} by hand "
        f"(tags added outside the stack first), for example: aws ssm-incidents untag-resource "
        f"--resource-arn {arn} --tag-keys {' '.join(excess)} --region {region}; then retry."
    )


class Notes(Protocol):
    """Where a resource keeps notes that outlive a request (``provider.records.Records``)."""

    def keep(self, key: str, data: Mapping[str, Any]) -> None: ...

    def recall(self, key: str) -> dict[str, Any] | None: ...

    def drop(self, key: str) -> None: ...

    def legacy_line(self, arn: str) -> list[tuple[str, str]] | None: ...

    def forget_legacy(self, arn: str) -> None: ...


@dataclass
class Claim:
    """A claim held: the set as read right after it (as written, once the marks are), and the
    Region it was read through."""

    live: LiveReplicationSet
    region: str  # the block moves it when its change takes that Region out of the set
    released: bool = False


@dataclass(frozen=True)
class Stewards:
    """The resource this request is for, and how it changes the set's marks and its notes."""

    api: IncidentsApi
    notes: Notes
    me: Resource
    request_id: str = ""
    #: sha256 of this request's properties, and of its OldResourceProperties (an Update's)
    asked: str = ""
    undoing: str = ""
    #: Claims kept for the next invocation (a hand-off), as (ARN, Region): the failure path
    #: takes them away if that invocation never comes (``provider.decide.fail``).
    held: list[tuple[str, str]] = field(default_factory=list)

    # -- the claim --------------------------------------------------------------------------

    @contextmanager
    def claimed(self, arn: str, region: str, budget: Budget) -> Iterator["Claim"]:
        """Hold a claim on the set while the block changes its marks; the set as read after
        the claim (tags included) is what the block decides on. The claim goes when the block
        ends (with the marks it writes) or fails; a hand-off keeps it (the next invocation
        takes it again, and it expires with this one)."""
        claim = Claim(self._claim(arn, region, budget), region)
        try:
            yield claim
        except Handoff:
            carried = budget.clock() + budget.remaining_ms() / 1000 + NEXT_INVOCATION_SECONDS
            self._keep_for_next_invocation(arn, claim.region, min(budget.deadline, carried))
            raise
        except Exception:
            self._release(arn, claim.region)
            raise
        if not claim.released:
            self._release(arn, claim.region)

    def _claim(self, arn: str, region: str, budget: Budget) -> LiveReplicationSet:
        others: dict[str, float] = {}
        for attempt in range(CLAIM_TRIES):
            expires = min(budget.deadline, budget.clock() + budget.remaining_ms() / 1000)
            budget.before_call()
            try:
                self._mark_claim(arn, region, expires)
            except ServiceFailure as error:
                if error.code == "ResourceNotFoundException":
                    raise ServiceFailure(
                        f"Replication set {arn} was deleted while this request was changing "
                        "who manages it; retry the stack operation (a Create then makes a new "
                        "set)"
                    ) from error
                if error.code != "ServiceQuotaExceededException":
                    raise
                others = make_room(
                    self.api, self.me, arn, region, budget
                )  # 50 tags: whose are they?
            else:
                live = read_set(self.api, arn, region)
                others = ownership.read_marks(live.tags).live_claims(budget.clock(), self.me.token)
                if not others:
                    return live
                self._release(arn, region)
            log.info("another request claims the set: waiting", extra={"claims": sorted(others)})
            if attempt + 1 < CLAIM_TRIES:
                budget.sleep(CLAIM_BACKOFF * (attempt + 1) + random.random())
        raise ServiceFailure(
            f"Another request is changing who manages replication set {arn} (its tags "
            f"{ownership.CLAIM}*); nothing was changed. Retry the stack operation in a minute."
        )

    def _mark_claim(self, arn: str, region: str, expires: float) -> None:
        mark = tuple(ownership.claim_tag(self.me, expires).items())
        self.api.apply(arn, TagSet(mark, region))

    def _keep_for_next_invocation(self, arn: str, region: str, deadline: float) -> None:
        """The next invocation carries on under this claim: it lasts through that invocation
        (``NEXT_INVOCATION_SECONDS``), however late Lambda starts it within reason. Tags
        are written only to an ACTIVE set: a set in a change keeps the claim as it is, and
        the next invocation checks that nobody adopted the set meanwhile (``adoption``)."""
        try:
            self._mark_claim(arn, region, deadline)
        except (ServiceFailure, Handoff) as error:  # Handoff: throttled, and no time to wait
            log.info("the claim expires with this invocation", extra={"reason": _why(error)})
            return
        self.held.append((arn, region))

    def release_held(self) -> None:
        """Take away the claims kept for a next invocation that will not come."""
        while self.held:
            self._release(*self.held.pop())

    def _release(self, arn: str, region: str) -> None:
        """Take the claim away; where that fails, it expires with this invocation anyway (so
        a call throttled past this invocation's time is not waited for either)."""
        try:
            self.api.apply(arn, UntagSet((ownership.claim_key(self.me),), region))
        except (ServiceFailure, Handoff) as error:
            log.warning(
                "could not remove the claim; it expires on its own", extra={"error": _why(error)}
            )

    def write(self, claim: "Claim", arn: str, marks: Mapping[str, str]) -> None:
        """Write the marks (an empty value removes that key), releasing the claim with them,
        and any claim that expired (its invocation was ended): they count against the 50."""
        values = tuple((k, v) for k, v in marks.items() if v)
        if values:
            self.api.apply(arn, TagSet(values, claim.region))
        gone = [k for k, v in marks.items() if not v]
        expired = ownership.read_marks(claim.live.tags).claims
        claims = [ownership.CLAIM + t for t in sorted(expired) if t != self.me.token]
        claim.released = True
        try:
            self.api.apply(
                arn, UntagSet((*gone, *claims, ownership.claim_key(self.me)), claim.region)
            )
        except ServiceFailure as error:
            if gone:  # the marks are not all written
                raise
            # the marks are: the claim, if it stays, expires with this invocation
            log.warning(
                "could not remove the claim; it expires on its own", extra={"error": error.reason}
            )
        kept = {k: v for k, v in (claim.live.tags or {}).items() if k not in gone}
        claim.live = replace(claim.live, tags=ownership.without_claims({**kept, **dict(values)}))

    # -- notes in this deployment's records --------------------------------------------------

    def note_key(self, kind: str, arn: str) -> str:
        return f"{kind}#{self.me.token}#{arn}"


def make_room(
    api: IncidentsApi, me: Resource, arn: str, region: str, budget: Budget
) -> dict[str, float]:
    """The set holds 50 tags, so the claim could not be added: claims of others that are
    still live (try again later), or expired ones (removed here), or too many tags of
    the set's own, which only a person can fix (a set made by hand or by an earlier
    version, which allowed 50)."""
    live = read_set(api, arn, region)
    marks = ownership.read_marks(live.tags)
    others = marks.live_claims(budget.clock(), me.token)
    expired = [ownership.CLAIM + t for t in marks.claims if t not in others]
    if others or expired:
        if expired:
            api.apply(arn, UntagSet(tuple(sorted(expired)), region))
        return others
    raise crowded(arn, live.tags, region)


def read_set(api: IncidentsApi, arn: str, region: str) -> LiveReplicationSet:
    """The whole set while this request changes who manages it."""
    try:
        return api.find(arn, region)
    except NotFound:
        raise ServiceFailure(
            f"replication set {arn} disappeared while the stack was changing it"
        ) from None


def _why(error: Exception) -> str:
    return error.reason if isinstance(error, ServiceFailure) else "Lambda time ran short"
