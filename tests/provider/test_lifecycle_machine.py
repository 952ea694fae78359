"""Randomized stack lifecycles: hypothesis plays CloudFormation and Lambda against the real
handler, through two provider deployments.

Two provider deployments (us-east-1, the ``stack`` fixture's, and us-west-2, each with its own
function and records table) serve two stacks, each with up to two
Custom::IncidentReplicationSet resources (a logical ID and its rename). A resource is served
for its whole life by the deployment its Create went to (CloudFormation refuses a changed
ServiceToken), and its Regions include that deployment's Region. The stacks are driven as
CloudFormation drives them: create and its rollback Delete; update, its rollback Update with old
and new swapped, continue-update-rollback, the cleanup Delete of a replaced ID; a rename (the
new logical ID adopts the set, the old one's cleanup Delete follows), also onto the other
deployment (how a resource moves to a new ServiceToken); adoption into the other stack, and an
adoption that CloudFormation rolls back; delete, retained or refused by deletion protection
(deleted again once, then retained). Lambda's side: faults for one operation (transient or for
good; a lasting throttle, or a read's lasting 5xx, is a burst the provider waits out, handing
off as Lambda time runs low), slow transitions with short Lambda time (continuations), refused
self-invokes, a call that outlasts the invocation (crhelper's timer answers, Lambda retries the
invocation twice; any call of a Create, Update or Delete, also the n-th of its kind), and any
earlier event delivered again, late (a duplicate, or an old request after the stack moved on).
Changes outside the stack too.

After every request: one answer (a repeat is the same answer); SUCCESS means the live set
equals the template of its manager; invalid input and repeated deliveries make no mutating
call; who manages the set (its manager and line tags) changes only as the request's type and
answer allow, so no set is deleted while another resource manages it; no claim tag outlives
its request unless Lambda ended the invocation that took it, and then it has expired; nothing
is refused for a claim (nothing here runs at the same moment). Between requests: no set exists
that no resource or retain holds; every item of every deployment's records table expires.

Provider bugs the machine found are in test_lifecycle_findings.py (xfail while open); the
machine recognises each (KNOWN) and lets it pass there only, to go on looking for others.

Bounded for `make test-long` (derandomized, a few seconds); `make explore` runs many more, at random
(LIFECYCLE_EXAMPLES; LIFECYCLE_SHRINK=1 shrinks a failing example to a short one).
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import product
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from emulator import control
from local_cloudformation.protocol import SERVICE_TOKEN, STACK_ID
from provider.ownership import CLAIM, LINE, MANAGER, template_tags
from provider.ownership import Resource as SetResource
from provider.stewards import NEXT_INVOCATION_SECONDS
from tests.provider.conftest import HOME, MakeDeployment, Stack

WEST = "us-west-2"
#: The provider deployments: each one's Region (its function's AWS_REGION).
HOMES = (HOME, WEST)
REGIONS = (HOME, WEST, "eu-west-1")
SERVICE_TOKENS = {HOME: SERVICE_TOKEN, WEST: SERVICE_TOKEN.replace(HOME, WEST)}
STACKS = (STACK_ID, STACK_ID.replace("stack/incidents/", "stack/other/"))
LOGICAL_IDS = ("ReplicationSet", "Renamed")
Key = tuple[str, str]  # (StackId, LogicalResourceId)
#: Each resource's token (what the set's manager and line tags name), back to the resource.
RESOURCES: dict[str, Key] = {SetResource(*key).token: key for key in product(STACKS, LOGICAL_IDS)}
FAULTY = {
    "GetReplicationSet": ("ThrottlingException", "AccessDeniedException"),
    "CreateReplicationSet": ("InternalServerException", "AccessDeniedException"),
    "UpdateReplicationSet": ("ThrottlingException", "ConflictException"),
    "UpdateDeletionProtection": ("AccessDeniedException",),
    "DeleteReplicationSet": ("InternalServerException", "AccessDeniedException"),
    "TagResource": ("ConflictException",),
}
#: Calls that can outlast an invocation (a hung connection: crhelper's timer answers); among
#: them every call a Delete makes, on its way to deleting, handing back or leaving the set.
HANGING = (
    "CreateReplicationSet",
    "GetReplicationSet",
    "ListTagsForResource",
    "UpdateDeletionProtection",
    "UpdateReplicationSet",
    "TagResource",
    "UntagResource",
    "DeleteReplicationSet",
)
#: Lambda's time for an invocation whose call hangs, and how long that call takes.
HANG_TIMEOUT, HANG_SECONDS = 90, 95
#: What the provider answers when another request holds a claim on the set: in this machine
#: nothing runs at the same moment, so that can only be a claim left behind.
BUSY = "Another request is changing who manages replication set"
#: Provider bugs this machine found, by the test of test_lifecycle_findings.py that shows each
#: one: the machine recognises them (``RECOGNISED``) and lets them pass there only, so that it
#: goes on looking for others. Remove an entry once its test passes (its xfail then fails).
KNOWN = {
    # a request that cannot hand off (self-invoke refused) while it holds its claim and the
    # set is in a change (no tag can be written): FAILED, its claim left live until its
    # invocation's end (only the claim: the set and its marks are still checked)
    "cannot-continue": "test_a_hand_back_that_cannot_continue_*, "
    "test_an_adoption_that_cannot_continue_mid_change_*",
    # the rollback of a retained manager's adoption again hands the set back as nobody's (its
    # manager tag removed), not as it was
    "adopted-again-loses-its-manager": "test_the_rollback_of_adopting_a_retained_set_again_kee*",
    # design edge: the rollback of an update from a resource that no longer manages the set,
    # failed on a fault before it was refused, is refused (UPDATE_ROLLBACK_FAILED)
    "rollback-after-a-fault": "test_the_rollback_of_a_former_managers_update_that_failed_*",
}
#: What a failed Update says of the set it made (the old one was gone) and could not delete.
UNOWNED = "This update created replication set {}, which no stack owns, and could not delete it"
#: What the provider answers an Update from a resource that no longer manages the set.
REFUSED = "is managed by"
#: KNOWN findings that leave only a claim behind: the rest of what a request did is checked.
CLAIM_ONLY = {"cannot-continue"}
#: What a refused adoption says when it could not put the set back (the Reason then tells how).
NOT_PUT_BACK = "The adoption could not put back what it changed"
EXAMPLES = int(os.environ.get("LIFECYCLE_EXAMPLES", "25"))
#: LIFECYCLE_SHRINK=1: shrink a failing example to a minimal one (slow; for exploring).
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
PHASES += [Phase.shrink] if os.environ.get("LIFECYCLE_SHRINK") else []

#: The template's settings but its Regions, which depend on the deployment (``props``).
shapes = st.fixed_dictionaries(
    {
        "others": st.lists(st.sampled_from(REGIONS), unique=True, max_size=2),
        "Tags": st.dictionaries(
            st.sampled_from(["team", "env", "cost"]), st.sampled_from(["a", "b"]), max_size=2
        ).map(lambda tags: [{"Key": k, "Value": v} for k, v in tags.items()]),
        "DeletionProtected": st.sampled_from(["true", "false"]),
    }
)
#: What CloudFormation would pass from a broken template: the provider must refuse it unchanged.
INVALID = ("without-its-region", "aws-tag", "no-region")
#: Mostly valid properties: one in six invalid (not at a bound, where hypothesis draws often).
wanted = st.tuples(st.integers(0, 5), shapes, st.sampled_from(INVALID)).map(
    lambda drawn: drawn[2] if drawn[0] == 3 else drawn[1]
)
conditions = st.fixed_dictionaries(
    {
        "fault": st.none()
        | st.tuples(st.sampled_from(sorted(FAULTY)), st.integers(0, 1), st.booleans()),
        "slow": st.sampled_from([0, 30, 200]),
        "refuse_self_invoke": st.booleans(),
        # the call that hangs: its operation, and which of its calls (1: the first)
        "hang": st.none() | st.tuples(st.sampled_from(HANGING), st.integers(1, 3)),
    }
)
KEYS: tuple[Key, ...] = tuple(product(STACKS, LOGICAL_IDS))
homes = st.sampled_from(HOMES)


def props(want: dict[str, Any] | str, home: str) -> dict[str, Any]:
    """The properties a template gives a resource of the ``home`` deployment."""
    if want == "without-its-region":
        return {"Regions": [{"RegionName": next(r for r in REGIONS if r != home)}]}
    if want == "aws-tag":
        return {"Regions": [{"RegionName": home}], "Tags": [{"Key": "aws:x", "Value": "y"}]}
    if want == "no-region" or isinstance(want, str):
        return {"Regions": []}
    regions = dict.fromkeys((home, *want["others"]))
    return {
        "Regions": [{"RegionName": r} for r in regions],
        "Tags": want["Tags"],
        "DeletionProtected": want["DeletionProtected"],
    }


def is_valid(properties: dict[str, Any], home: str) -> bool:
    return any(r["RegionName"] == home for r in properties.get("Regions", [])) and not any(
        t["Key"].startswith("aws:") for t in properties.get("Tags", [])
    )


def with_region(properties: dict[str, Any], region: str) -> dict[str, Any]:
    """``properties`` with ``region`` among its Regions (a resource moving to its deployment)."""
    if any(r["RegionName"] == region for r in properties["Regions"]):
        return properties
    return {**properties, "Regions": [*properties["Regions"], {"RegionName": region}]}


@dataclass(frozen=True)
class Chain:
    """Who manages the set, as its tags say: the line (oldest first) and the manager (tokens)."""

    line: tuple[str, ...]
    manager: str | None

    @classmethod
    def of(cls, tags: dict[str, str]) -> "Chain":
        """As the design reads the tags: the manager is never in its own line (a hand-back
        ended between its two tag writes leaves it there: it reads as handed back)."""
        manager = tags.get(MANAGER, "").split(" ", 1)[0] or None
        return cls(tuple(t for t in tags.get(LINE, "").split() if t != manager), manager)

    def adopted_by(self, me: str) -> "Chain":
        """The design: an adopter manages the set; the manager it replaces goes last in line.
        Its own set, adopted again (removed with Retain, added back), counts as one nobody
        recorded: the rollback of that adoption hands it back rather than deleting it."""
        previous = None if self.manager == me else self.manager
        return Chain((*(t for t in self.line if t != me), previous or "-"), me)

    def deleted_by(self, me: str) -> tuple[str, "Chain | None"]:
        """The design: what ``me``'s Delete decides, and the chain after it (None: deleted)."""
        if self.manager is None or (self.manager == me and not self.line):
            return "delete", None
        if self.manager == me:
            *rest, previous = self.line
            return "hand-back", Chain(tuple(rest), None if previous == "-" else previous)
        if me in self.line:
            return "leave-line", Chain(tuple(t for t in self.line if t != me), self.manager)
        return "nothing", self

    def __str__(self) -> str:
        def named(token: str | None) -> str:
            key = RESOURCES.get(token or "")
            return f"{key[0].split('/')[1]}/{key[1]}" if key else str(token)

        return f"manager {named(self.manager)}, line [{', '.join(map(named, self.line))}]"


@dataclass(frozen=True)
class Shape:
    """What a template says of the set: its Regions, its tags and its deletion protection."""

    regions: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]
    protected: bool

    @classmethod
    def of_template(cls, properties: dict[str, Any]) -> "Shape":
        return cls(
            tuple(sorted(r["RegionName"] for r in properties["Regions"])),
            tuple(sorted((t["Key"], t["Value"]) for t in properties.get("Tags", []))),
            properties.get("DeletionProtected") == "true",
        )

    @classmethod
    def of_set(cls, found: dict[str, Any]) -> "Shape":
        tags = {k: v for k, v in template_tags(found["tags"]).items() if not k.startswith("aws:")}
        regions = tuple(sorted(found["regionMap"]))
        return cls(regions, tuple(sorted(tags.items())), found["deletionProtected"])


@dataclass(frozen=True)
class Exchange:
    """One request as the test saw it: the event, the answer, the set before and after it,
    and the KNOWN finding it met, if any."""

    home: str  # the deployment that served it
    event: dict[str, Any]
    response: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    finding: str | None = None

    @property
    def excused(self) -> bool:
        """A KNOWN finding that leaves more than a claim behind: the checks stand aside."""
        return self.finding is not None and self.finding not in CLAIM_ONLY

    @property
    def key(self) -> Key:
        return (self.event["StackId"], self.event["LogicalResourceId"])

    @property
    def me(self) -> str:
        return SetResource(*self.key).token

    @property
    def kind(self) -> str:
        return str(self.event["RequestType"])

    @property
    def status(self) -> str:
        return str(self.response["Status"])

    @property
    def answered(self) -> str:
        return str(self.response["PhysicalResourceId"])

    @property
    def physical_id(self) -> str | None:
        return self.event.get("PhysicalResourceId")

    @property
    def adopting(self) -> bool:
        return bool(self.event["ResourceProperties"].get("AdoptExisting") == "true")

    @property
    def had(self) -> str | None:
        return self.before["arn"] if self.before else None

    @property
    def has(self) -> str | None:
        return self.after["arn"] if self.after else None

    @property
    def was(self) -> Chain | None:
        return Chain.of(self.before["tags"]) if self.before else None

    @property
    def now(self) -> Chain | None:
        return Chain.of(self.after["tags"]) if self.after else None

    @property
    def story(self) -> str:
        return (
            f"{self.kind} {self.status} from {self.key}: {self.was} -> {self.now} "
            f"({self.response['Reason']})"
        )


@dataclass
class Resource:
    physical_id: str
    template: dict[str, Any]
    home: str  # the deployment that serves it, for its whole life


class HangAt(dict[str, float]):
    """``Stack.call_seconds`` with one call that outlasts the invocation: the ``nth`` call of
    ``operation`` (a hung connection), the calls before it answered."""

    def __init__(self, operation: str, nth: int) -> None:
        super().__init__()
        self.operation, self.left = operation, nth

    def get(self, name: str, default: float = 0) -> float:  # type: ignore[override]
        if name != self.operation:
            return default
        self.left -= 1
        return HANG_SECONDS if self.left == 0 else default


class CloudFormation(RuleBasedStateMachine):
    """Two stacks of Custom::IncidentReplicationSet resources, as CloudFormation drives them,
    served by two provider deployments."""

    deployments: dict[str, Stack]  # set by the test before the machine runs
    clients: dict[str, Any]  # ssm-incidents, per Region: the test's own reads and changes

    def __init__(self) -> None:
        super().__init__()
        control.backend().reset()
        control.set_region_removal_min_age(0)
        for deployment in self.deployments.values():  # each example starts with empty tables
            table = records_table(deployment)
            for item in table.all_items():
                table.delete_item(item.hash_key, item.range_key)
        self.seen: tuple[dict[str, Any] | None] | None = None  # the set as last read
        #: the set before and after the last request (as it answered, before time passed)
        self.sent: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None)
        #: deployments that served a request since their records were last read
        self.unread: set[str] = set()
        self.resources: dict[Key, Resource] = {}
        self.retained: set[str] = set()
        self.delivered: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        #: resources a request of which Lambda ended (their claims may stay, expired), or that
        #: met a KNOWN finding
        self.killed: set[str] = set()
        #: what each adoption found, by (adopter's token, ARN): its rollback puts it back
        self.adoptions: dict[tuple[str, str], dict[str, Any]] = {}
        #: adoptions that failed naming the set (they may have changed it), by (token, ARN):
        #: the resource's Delete puts back what they changed, whoever manages the set
        self.interrupted: set[tuple[str, str]] = set()
        #: the KNOWN findings met since the rule began (its own checks then stand aside)
        self.met: set[str] = set()
        self.calm()

    @property
    def clock_now(self) -> float:
        return self.deployments[HOME].clock.now

    # -- the set, as the test reads it ---------------------------------------------------------

    def live(self) -> dict[str, Any] | None:
        """The account's set with its tags, read through any of its Regions (uncounted); read
        again only once something may have changed it (``changed``)."""
        if self.seen is None:
            self.seen = (self.read(),)
        return self.seen[0]

    def changed(self) -> None:
        """A request ran, time passed or the set was changed by hand: read it again."""
        self.seen = None

    def read(self) -> dict[str, Any] | None:
        """The set as GetReplicationSet and ListTagsForResource give it, read from the
        emulator's backend (the model the API answers from, without a client's round trips:
        nothing counted, nothing faulted), with a Region that answers for it (``via``)."""
        backend = control.backend()
        sets, _ = backend.list_replication_sets(None, None)  # ends changes that are due
        if not sets:
            return None
        found: dict[str, Any] = sets[0].to_dict()
        found["tags"] = backend.tagger.get_tag_dict_for_resource(found["arn"])
        found["via"] = HOME if HOME in found["regionMap"] else min(found["regionMap"])
        return found

    # -- what one request meets ----------------------------------------------------------------

    def send(self, home: str, event: dict[str, Any]) -> dict[str, Any]:
        """One request to the ``home`` deployment, and what its answer allows to have changed."""
        deployment = self.deployments[home]
        control.reset_call_counts()
        before = self.live()
        timed_out = deployment.timed_out
        response = deployment.send(event)  # one answer; a repeat (Lambda's retry) the same
        self.changed()
        self.unread.add(home)
        key = (event["StackId"], event["LogicalResourceId"])
        me = SetResource(*key).token
        killed = deployment.timed_out > timed_out
        if killed:
            self.killed.add(me)
        kind, status = event["RequestType"], response["Status"]
        if kind != "Delete" and not is_valid(event["ResourceProperties"], home):
            assert status == "FAILED"
            assert control.mutating_calls() == {}, "invalid input made a mutating call"
        assert BUSY not in response["Reason"], f"refused for a claim left behind: {response}"
        after = self.live()
        seen = Exchange(home, event, response, before, after)
        finding = known(seen)
        if finding:
            self.met |= {finding} - CLAIM_ONLY
            self.killed.add(me)  # its claim may stay; live now, it expires like the others
        self.check_claims(seen, besides=me if finding else None, killed=killed)
        self.check_managers(replace(seen, finding=finding))
        self.delivered.append((home, event, response))
        self.calm()
        self.sent = (before, after)
        return response

    def check_claims(self, seen: "Exchange", besides: str | None, killed: bool) -> None:
        """No claim outlives the request that took it, unless Lambda ended its invocation:
        then it expired with that invocation, or (kept for the invocation after a hand-off,
        which Lambda ended before it took the claim again) expires within
        NEXT_INVOCATION_SECONDS. (``besides``: a KNOWN finding's.)"""
        for tag, value in (seen.after or {}).get("tags", {}).items():
            if tag.startswith(CLAIM):
                token = tag[len(CLAIM) :]
                story = f"{tag}={value} at {self.clock_now}, after {seen.story}"
                assert token in self.killed, f"a claim outlived its request: {story}"
                kept = killed and token == seen.me
                limit = self.clock_now + (NEXT_INVOCATION_SECONDS if kept else 0)
                if token != besides:
                    assert float(value) <= limit, f"a claim left behind is live: {story}"

    def check_managers(self, seen: "Exchange") -> None:
        """Who manages the set (its manager and line) changes only as the design says for this
        request and its answer; a set another resource manages is never deleted."""
        {"Create": self.check_create, "Update": self.check_update, "Delete": self.check_delete}[
            seen.kind
        ](seen)

    def check_create(self, seen: "Exchange") -> None:
        me, was, now, story = seen.me, seen.was, seen.now, seen.story
        if seen.before is None:
            if seen.after is not None:  # it made the set: its answer names it (SUCCESS or not)
                assert (seen.has, now) == (seen.answered, Chain((), me)), story
                assert seen.after["tags"][MANAGER] == SetResource(*seen.key).label, story
            else:
                assert seen.status == "FAILED", story
            return
        assert seen.has == seen.had, f"a Create deleted the set: {story}"
        assert was is not None
        if seen.status == "SUCCESS":
            assert seen.adopting and seen.answered == seen.had, story
            assert now == was.adopted_by(me), story
        else:  # a FAILED adoption changed nothing, or names the set for its rollback
            named = seen.answered == seen.had or seen.excused  # KNOWN: not named
            allowed = [was, was.adopted_by(me)] if named else [was]
            assert now in allowed, f"a failed adoption left its marks: {story}"
            if seen.answered == seen.had:
                self.interrupted.add((me, seen.answered))

    def check_update(self, seen: "Exchange") -> None:
        me, was, now, story = seen.me, seen.was, seen.now, seen.story
        if seen.before is None:  # gone: a new set, or (FAILED) none that no stack would own
            if seen.after is not None and seen.status == "FAILED":
                # it could not delete the set it made, and says how: the user does it
                assert UNOWNED.format(seen.has) in seen.response["Reason"], story
                self.retained.add(seen.after["arn"])
            elif seen.after is not None:
                assert seen.has == seen.answered and now == Chain((), me), story
            return
        assert seen.has == seen.had, f"an Update deleted the set: {story}"
        assert was is not None and seen.after is not None
        if seen.had != seen.physical_id:  # its set is gone: it adopts the account's, or fails
            if seen.status == "SUCCESS":
                assert seen.answered == seen.had and now == was.adopted_by(me), story
            else:
                assert now == was, story
            return
        taken = was if was.manager else Chain((), me)  # nobody recorded: it takes over
        assert now in (was, taken), story
        if seen.status == "SUCCESS" and was.manager not in (None, me):
            # another resource manages the set: the Update changed nothing
            assert control.mutating_calls() == {}, story
            assert Shape.of_set(seen.after) == Shape.of_set(seen.before), story

    def check_delete(self, seen: "Exchange") -> None:
        was, now, story = seen.was, seen.now, seen.story
        if seen.before is None or seen.had != seen.physical_id:
            assert (seen.has, now) == (seen.had, was), (
                f"a Delete changed a set not its own: {story}"
            )
            return
        assert was is not None
        decision, then = was.deleted_by(seen.me)
        story = f"{decision}: {story}"
        # a note of its adoption (interrupted, or whose hand-back was): its Delete consumes it
        noted = (seen.me, seen.had) in self.interrupted or (seen.me, seen.had) in self.adoptions
        if decision == "nothing" and not noted:
            assert control.mutating_calls() == {}, story
        if seen.status == "SUCCESS" and decision != "hand-back":
            self.interrupted.discard((seen.me, seen.had))
            self.adoptions.pop((seen.me, seen.had or ""), None)
        if seen.excused:
            return  # a KNOWN finding
        if seen.status == "SUCCESS":
            assert (seen.has is None) == (then is None), story
            assert then is None or now == then, story
            if decision == "hand-back" and seen.after is not None:
                self.handed_back(seen.me, was, seen.after)
        else:  # refused, or ended part way: as it was, or as it is to be
            assert seen.has is None or now in (was, then), story
            if then is None:
                assert seen.has is None or now == was, story

    def handed_back(self, me: str, was: Chain, after: dict[str, Any]) -> None:
        """The manager's Delete handed the set back: as its adoption found it, when it adopted
        the set from the resource that now manages it again."""
        found = self.adoptions.pop((me, after["arn"]), None)
        if found is None or Chain.of(found["tags"]).manager != was.line[-1]:
            return
        assert Shape.of_set(after) == Shape.of_set(found), "the hand-back did not put back the set"
        assert after["tags"][MANAGER] == found["tags"][MANAGER], "the manager is not named again"

    def calm(self) -> None:
        """Faults and slowness last one request; the next starts clean."""
        control.clear_faults()
        control.set_transition_seconds(0)
        self.deployments[HOME].clock.advance(3600)  # time passes, for Lambda and the service
        if self.seen is not None and not settled(self.seen[0]):
            self.changed()  # a change under way ended meanwhile
        for deployment in self.deployments.values():
            deployment.timeout_seconds = 900
            deployment.refuse_self_invoke = False
            deployment.call_seconds = {}
            deployment.lambda_retries = 0

    def weather(self, conditions: dict[str, Any], home: str) -> None:
        deployment = self.deployments[home]
        if conditions["fault"]:
            operation, index, lasting = conditions["fault"]
            code = FAULTY[operation][index % len(FAULTY[operation])]
            control.inject_fault(operation, code, count=100 if lasting else 1)
        if conditions["slow"]:
            control.set_transition_seconds(conditions["slow"])
            deployment.timeout_seconds = 90
        if conditions["hang"]:  # the call outlasts the invocation; Lambda retries it twice
            deployment.timeout_seconds = HANG_TIMEOUT
            deployment.call_seconds = HangAt(*conditions["hang"])
            deployment.lambda_retries = 2
        deployment.refuse_self_invoke = conditions["refuse_self_invoke"]

    def expect_live_equals(self, properties: dict[str, Any], arn: str) -> None:
        found = self.live()
        assert found is not None and found["arn"] == arn
        assert found["status"] == "ACTIVE"
        assert Shape.of_set(found) == Shape.of_template(properties)

    def event(self, request_type: str, key: Key, home: str, properties: Any, **kw: Any) -> Any:
        return self.deployments[home].event(
            request_type,
            properties,
            stack_id=key[0],
            logical_id=key[1],
            service_token=SERVICE_TOKENS[home],
            **kw,
        )

    def create_event(self, key: Key, home: str, properties: dict[str, Any]) -> dict[str, Any]:
        """Send a Create; remember what an adoption found, for its rollback."""
        response = self.send(home, self.event("Create", key, home, properties))
        found, after = self.sent
        if found and after and found["arn"] == after["arn"] == response["PhysicalResourceId"]:
            me = SetResource(*key).token
            if Chain.of(found["tags"]).manager != me and Chain.of(after["tags"]).manager == me:
                self.adoptions[(me, found["arn"])] = found
        return response

    def delete(
        self, key: Key, home: str, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any]:
        """CloudFormation's Delete; when it fails, the stack is deleted again (at once: a
        rollback's, or the user's), and then its answer stands."""
        event = self.event("Delete", key, home, properties, physical_id=physical_id)
        response = self.send(home, event)
        if response["Status"] != "SUCCESS":
            event = self.event("Delete", key, home, properties, physical_id=physical_id)
            response = self.send(home, event)
        return response

    # -- changes outside the stack ----------------------------------------------------------

    @precondition(lambda self: bool(self.resources))
    @rule(kind=st.sampled_from(["tag", "remove-region", "delete-set"]))
    def drift(self, kind: str) -> None:
        found = self.live()
        if found is None or found["status"] != "ACTIVE":
            return
        client = self.clients[found["via"]]
        arn = found["arn"]
        others = [r for r in found["regionMap"] if r != found["via"]]
        if kind == "tag":
            client.tag_resource(resourceArn=arn, tags={"team": "by-hand"})
        elif kind == "remove-region" and others:
            action = {"deleteRegionAction": {"regionName": others[0]}}
            client.update_replication_set(arn=arn, actions=[action])
        elif kind == "delete-set" and not found["deletionProtected"]:
            client.delete_replication_set(arn=arn)
        control.advance_clock(3600)
        self.changed()

    # -- stack operations -------------------------------------------------------------------

    def free(self) -> list[Key]:
        """The resources no stack has now."""
        return [key for key in KEYS if key not in self.resources]

    def held(self) -> list[Key]:
        return sorted(self.resources)

    @precondition(lambda self: bool(self.free()))
    @rule(data=st.data(), home=homes, want=wanted, adopt=st.booleans(), weather=conditions)
    def create(
        self, data: st.DataObject, home: str, want: Any, adopt: bool, weather: dict[str, Any]
    ) -> None:
        """A stack gains a resource (its first, or adopting into the other stack), served by
        the deployment its ServiceToken names."""
        key = data.draw(st.sampled_from(self.free()), label="key")
        properties = props(want, home)
        properties = {**properties, "AdoptExisting": "true"} if adopt else properties
        self.weather(weather, home)
        response = self.create_event(key, home, properties)
        arn = response["PhysicalResourceId"]
        if response["Status"] == "SUCCESS":
            self.resources[key] = Resource(arn, properties, home)
            self.expect_live_equals(properties, arn)
            return
        if self.delete(key, home, arn, properties)["Status"] != "SUCCESS":  # ROLLBACK
            self.retained.add(arn)  # ROLLBACK_FAILED, then deleted with --retain-resources

    @precondition(lambda self: bool(self.resources))
    @rule(data=st.data(), want=wanted, weather=conditions)
    def update(self, data: st.DataObject, want: Any, weather: dict[str, Any]) -> None:
        key = data.draw(st.sampled_from(self.held()), label="key")
        resource = self.resources[key]
        home, old_id, old = resource.home, resource.physical_id, resource.template
        new = props(want, home)
        new = {**new, "AdoptExisting": old["AdoptExisting"]} if "AdoptExisting" in old else new
        found = self.live()
        manager = found is None or Chain.of(found["tags"]).manager in (
            None,
            SetResource(*key).token,
        )
        self.weather(weather, home)
        event = self.event("Update", key, home, new, physical_id=old_id, old_properties=old)
        response = self.send(home, event)
        if response["Status"] == "SUCCESS":
            new_id = response["PhysicalResourceId"]
            self.expect_live_equals(new, new_id)
            self.resources[key] = Resource(new_id, new, home)
            if new_id != old_id:  # re-created (or adopted): cleanup deletes the replaced ID
                cleanup = self.delete(key, home, old_id, old)
                assert cleanup["Status"] == "SUCCESS", cleanup["Reason"]
            return
        # UPDATE_ROLLBACK: the old properties, the old ID, old and new swapped.
        event = self.event("Update", key, home, old, physical_id=old_id, old_properties=new)
        back = self.send(home, event)
        if not manager and found is not None and found["arn"] == old_id == self.arn():
            # another resource manages the set: this one changed nothing, and its rollback has
            # nothing to undo (the set is the manager's template, not this one's)
            refused = REFUSED in response["Reason"]
            if refused or "rollback-after-a-fault" not in KNOWN:
                assert back["Status"] == "SUCCESS", back["Reason"]
            assert back["Status"] == "FAILED" or control.mutating_calls() == {}, back
            return
        if back["Status"] == "SUCCESS":
            back_id = back["PhysicalResourceId"]
            self.expect_live_equals(old, back_id)
            self.resources[key] = Resource(back_id, old, home)
            if back_id != old_id:  # the rollback re-created a set gone meanwhile: its cleanup
                cleanup = self.delete(key, home, old_id, old)  # deletes the replaced ID
                assert cleanup["Status"] == "SUCCESS", cleanup["Reason"]
        # else UPDATE_ROLLBACK_FAILED, then continue-update-rollback skipping the resource.

    def arn(self) -> str | None:
        found = self.live()
        return found["arn"] if found else None

    def renamed(self, key: Key) -> Key:
        return (key[0], LOGICAL_IDS[1 - LOGICAL_IDS.index(key[1])])

    def renamable(self) -> list[Key]:
        return [key for key in self.held() if self.renamed(key) not in self.resources]

    @precondition(lambda self: bool(self.renamable()))
    @rule(data=st.data(), move=st.booleans(), weather=conditions)
    def rename(self, data: st.DataObject, move: bool, weather: dict[str, Any]) -> None:
        """The template renames the resource: the new logical ID adopts the set, then the
        update's cleanup deletes the old logical ID (or its rollback, the new one). ``move``:
        the new logical ID names the other deployment's ServiceToken (CloudFormation refuses a
        changed ServiceToken, so that is how a resource moves to a new provider deployment)."""
        key = data.draw(st.sampled_from(self.renamable()), label="key")
        renamed = self.renamed(key)
        resource = self.resources[key]
        home = HOMES[1 - HOMES.index(resource.home)] if move else resource.home
        properties = {**with_region(resource.template, home), "AdoptExisting": "true"}
        self.weather(weather, home)
        response = self.create_event(renamed, home, properties)
        arn = response["PhysicalResourceId"]
        if response["Status"] == "SUCCESS":
            self.expect_live_equals(properties, arn)
            cleanup = self.delete(key, resource.home, resource.physical_id, resource.template)
            assert cleanup["Status"] == "SUCCESS", cleanup["Reason"]
            if arn == resource.physical_id:
                assert arn == self.arn(), "the rename lost the set"
            del self.resources[key]
            self.resources[renamed] = Resource(arn, properties, home)
            return
        if self.delete(renamed, home, arn, properties)["Status"] != "SUCCESS":
            self.retained.add(arn)

    @precondition(lambda self: bool(self.resources) and bool(self.free()))
    @rule(data=st.data(), home=homes, want=shapes, weather=conditions, rollback=conditions)
    def adopt_and_roll_back(
        self,
        data: st.DataObject,
        home: str,
        want: dict[str, Any],
        weather: dict[str, Any],
        rollback: dict[str, Any],
    ) -> None:
        """A stack adopts the set with other properties (tags, protection, Regions), then
        another of its resources fails and CloudFormation rolls the adoption back (the Delete
        of the adopting resource): the set is again what the manager before had made it."""
        found = self.live()
        if found is None or found["status"] != "ACTIVE":
            return
        key = data.draw(st.sampled_from(self.free()), label="key")
        me, was = SetResource(*key).token, Chain.of(found["tags"])
        self.met.clear()
        if was.manager == me and "adopted-again-loses-its-manager" in KNOWN:
            self.met.add("adopted-again-loses-its-manager")
        properties = {**props(want, home), "AdoptExisting": "true"}
        self.weather(weather, home)
        response = self.create_event(key, home, properties)
        arn = response["PhysicalResourceId"]
        if response["Status"] == "SUCCESS":
            assert arn == found["arn"], "an adoption made a new set"
            self.expect_live_equals(properties, arn)
            self.weather(rollback, home)
        elif NOT_PUT_BACK in response["Reason"]:
            self.met.add(NOT_PUT_BACK)  # as it says: the set is to be put back by hand
        if self.delete(key, home, arn, properties)["Status"] != "SUCCESS":  # ROLLBACK
            self.retained.add(arn)  # ROLLBACK_FAILED, then deleted with --retain-resources
            return
        after = self.live()
        if self.met:
            return  # the adoption could not be put back (it said so), or a KNOWN finding
        assert after is not None, "the rollback of an adoption deleted the set"
        # the manager before manages it again; the adopter, gone, is in line no more
        expected = Chain(tuple(t for t in was.line if t != me), was.manager)
        assert Chain.of(after["tags"]) == expected, "not the manager before"
        assert after["tags"][MANAGER] == found["tags"][MANAGER], "the manager is not named again"
        assert Shape.of_set(after) == Shape.of_set(found), "the set is not as it was"
        manager = RESOURCES.get(Chain.of(found["tags"]).manager or "")
        if manager in self.resources and self.resources[manager].physical_id == arn:
            template = Shape.of_template(self.resources[manager].template)
            if Shape.of_set(found) == template:  # it was its manager's template: it is again
                assert Shape.of_set(after) == template

    @precondition(lambda self: bool(self.resources))
    @rule(data=st.data(), retain=st.booleans(), weather=conditions)
    def delete_stack(self, data: st.DataObject, retain: bool, weather: dict[str, Any]) -> None:
        key = data.draw(st.sampled_from(self.held()), label="key")
        resource = self.resources.pop(key)
        if retain:  # DeletionPolicy: Retain: CloudFormation sends nothing
            self.retained.add(resource.physical_id)
            return
        self.weather(weather, resource.home)
        response = self.delete(key, resource.home, resource.physical_id, resource.template)
        if response["Status"] != "SUCCESS":
            # DELETE_FAILED (protection or a fault): delete again with --retain-resources
            self.retained.add(resource.physical_id)

    @precondition(lambda self: bool(self.delivered))
    @rule(pick=st.integers(min_value=0), weather=conditions)
    def deliver_again(self, pick: int, weather: dict[str, Any]) -> None:
        """Lambda delivers an earlier event again: at once (a duplicate) or after the stack
        moved on (late). It changes nothing, and at most repeats the answer it had."""
        home, event, first = self.delivered[pick % len(self.delivered)]
        deployment = self.deployments[home]
        self.unread.add(home)
        self.weather(weather, home)
        control.reset_call_counts()
        seen = len(deployment.endpoint.for_request(event["RequestId"]))
        pending = [event]
        while pending:
            deployment.invoke(pending.pop(0))
            pending += deployment.continuations
            deployment.continuations.clear()
        again = deployment.endpoint.for_request(event["RequestId"])[seen:]
        assert all(answer == first for answer in again), f"a new answer: {again} != {first}"
        assert control.mutating_calls() == {}, "a repeated delivery changed the set"
        self.calm()

    # -- what must always hold ---------------------------------------------------------------

    @invariant()
    def nothing_orphaned(self) -> None:
        held = self.retained | {r.physical_id for r in self.resources.values()}
        arn = self.arn()
        assert arn is None or arn in held, f"replication set {arn} belongs to no stack (orphaned)"

    @invariant()
    def never_without_a_region(self) -> None:
        found = self.live()
        assert found is None or len(found["regionMap"]) >= 1

    @invariant()
    def every_record_expires(self) -> None:
        """Every item of each deployment's records table expires (read once it served)."""
        for home in sorted(self.unread):
            for item in records_table(self.deployments[home]).all_items():
                assert "expiration" in item.attrs, f"a record of {home}'s never expires: {item}"
        self.unread.clear()


def known(seen: Exchange) -> str | None:
    """The KNOWN finding a request on the account's set met, if any."""
    if seen.before is None:
        return None
    met = [name for name, recognise in RECOGNISED.items() if name in KNOWN and recognise(seen)]
    return met[0] if met else None


RECOGNISED: dict[str, Callable[[Exchange], bool]] = {
    "cannot-continue": lambda seen: seen.response["Reason"].startswith(
        "Could not continue in a new invocation"
    ),
}


def settled(found: dict[str, Any] | None) -> bool:
    """No change under way: time passing changes nothing in the set (or its absence)."""
    return found is None or (
        found["status"] == "ACTIVE"
        and all(r["status"] == "ACTIVE" for r in found["regionMap"].values())
    )


def records_table(deployment: Stack) -> Any:
    """The deployment's records table in moto's DynamoDB backend (read there, as ``live``
    reads the set: without a client's round trips, on every step)."""
    records = deployment.runtime.records()
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][records.client.meta.region_name]
    return backend.get_table(records.table)


@pytest.mark.parametrize("removal_rule", ["removals-any-time"])
def test_random_stack_lifecycles_keep_one_effect_the_template_and_no_orphan(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    CloudFormation.deployments = {HOME: stack, WEST: another_deployment(WEST)}
    CloudFormation.clients = {r: boto3.client("ssm-incidents", region_name=r) for r in REGIONS}
    run_state_machine_as_test(
        CloudFormation,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            derandomize=EXAMPLES <= 25,
            suppress_health_check=list(HealthCheck),
            phases=PHASES,
        ),
    )
