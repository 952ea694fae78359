"""Who manages the account's replication set: kept on the set itself, as tags, and the rules.

Pure: no I/O. The account has one set, read from any of its Regions, and deleting it deletes
every incident record; so who manages it is written where every provider deployment (any
Region, any provider stack) reads it and where it lasts exactly as long as the set: on the set,
under tag keys the provider reserves (``RESERVED_PREFIX``), as CloudFormation marks what it
manages with its own ``aws:cloudformation:*`` tags (a prefix only AWS may use). Three keys:

- ``...:manager``: the resource that manages the set (its token, then its stack and logical
  ID for people to read);
- ``...:line``: the tokens of earlier managers that still hold a resource for the set, oldest
  first (each adoption (``AdoptExisting``) puts the manager it replaces last);
- ``...:claim:TOKEN``: a resource is changing the marks (adopting, handing back, deleting);
  its value is when the claim expires (epoch seconds: the end of the invocation that took it),
  so a claim that a killed invocation left behind stops counting on its own.

The rules:

- only the manager changes the set; an Update from another resource is refused naming the
  manager (unless the set is already what it asks for);
- only the manager's Delete deletes the set, and only when the line is empty; with a line, it
  hands the set back to the last of it; a Delete from a resource of the line takes it out of
  the line; a Delete from anyone else leaves the set and changes nothing;
- a set with no manager mark (made by hand, or before this version) is taken over by the
  resource that creates, adopts or updates it; its Delete deletes it, as before.

    >>> a = Resource("arn:aws:cloudformation:us-east-1:1:stack/a/1", "Set")
    >>> b = Resource("s/b/2", "Set")
    >>> marks = read_marks({**manager_tags(a)})
    >>> decide_delete(marks, a), decide_delete(marks, b)
    ('delete', 'nothing')
    >>> after = read_marks(adopted_tags(marks, b))
    >>> (after.manager == b.token, after.line == (a.token,), decide_delete(after, a))
    (True, True, 'leave-line')
"""

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

#: The provider's own tag keys. Template tags may not use the prefix (the spec refuses it), and
#: the plan never adds, changes or removes these keys: they are not the template's.
RESERVED_PREFIX = "IncidentReplicationSetProvider:"
MANAGER = RESERVED_PREFIX + "manager"
LINE = RESERVED_PREFIX + "line"
CLAIM = RESERVED_PREFIX + "claim:"
#: Tags the provider may hold on the set at once (manager, line, one claim): Incident Manager
#: allows 50 tags on a resource, so a template may give 50 less these.
RESERVED_TAGS = 3
#: Earlier managers kept in the line (a tag value holds 256 characters: 15 tokens of 16 and
#: their spaces). A 16th adoption drops the oldest, whose Delete then leaves the set alone.
MAX_LINE = 15
TOKEN_LENGTH = 16
TAG_VALUE_LENGTH = 256
#: Stands in the line for whoever managed a set before anything was recorded (made by hand, or
#: before this version): an adopter's Delete hands such a set back unrecorded, as it found it,
#: rather than deleting it. Never a token (those are base32).
UNRECORDED = "-"

DeleteDecision = Literal["delete", "hand-back", "leave-line", "nothing"]


@dataclass(frozen=True)
class Resource:
    """A resource of a stack: CloudFormation's StackId (with its GUID) and the logical ID."""

    stack_id: str
    logical_id: str

    @property
    def stack_name(self) -> str:
        parts = self.stack_id.split("/")
        return parts[1] if len(parts) >= 3 else self.stack_id

    @property
    def token(self) -> str:
        """16 base32 characters of sha256(StackId, logical ID): unique to the resource (a stack
        made again under the same name has another GUID), and within a tag value's alphabet."""
        digest = hashlib.sha256(f"{self.stack_id}\n{self.logical_id}".encode()).digest()
        return base64.b32encode(digest).decode("ascii")[:TOKEN_LENGTH].lower()

    @property
    def label(self) -> str:
        """The manager tag's value: the token, then what a person reads (cut to fit)."""
        return f"{self.token} {self.stack_id} {self.logical_id}"[:TAG_VALUE_LENGTH]

    def __str__(self) -> str:
        return f"resource {self.logical_id} of stack {self.stack_name} ({self.stack_id})"


@dataclass(frozen=True)
class Marks:
    """What the set's tags say about who manages it."""

    manager: str | None = None  # a token; None: nobody recorded
    manager_label: str = ""  # the manager tag's whole value
    line: tuple[str, ...] = ()
    claims: Mapping[str, float] = field(default_factory=dict)  # token -> expiry (epoch s)

    def describe_manager(self) -> str:
        """The manager as a Reason names it."""
        parts = self.manager_label.split(" ", 2)
        if len(parts) == 3:
            stack_id, logical_id = parts[1], parts[2]
            return str(Resource(stack_id, logical_id))
        return f"the resource recorded on the set as {self.manager} (tag {MANAGER})"

    def live_claims(self, now: float, besides: str) -> dict[str, float]:
        """Claims of other resources that have not expired."""
        return {t: e for t, e in self.claims.items() if t != besides and e > now}


def read_marks(tags: Mapping[str, str] | None) -> Marks:
    """The marks among a set's tags; anything malformed reads as absent."""
    tags = tags or {}
    label = tags.get(MANAGER, "").strip()
    manager = label.split(" ", 1)[0] or None
    # never the manager itself: a hand-back ended between its two writes leaves it there
    line = tuple(t for t in tags.get(LINE, "").split() if t and t != manager)
    claims: dict[str, float] = {}
    for key, value in tags.items():
        if key.startswith(CLAIM):
            try:
                claims[key[len(CLAIM) :]] = float(value)
            except ValueError:
                continue  # not a number: no claim (it never expires otherwise)
    return Marks(manager, label, line, claims)


def is_reserved(key: str) -> bool:
    return key.startswith(RESERVED_PREFIX)


def excess_tags(tags: Mapping[str, str] | None) -> list[str]:
    """The set's own tags past the 47 the provider leaves them (sorted keys, the last ones):
    with more, no claim fits, and an adoption's rollback could not put them all back."""
    return sorted(template_tags(tags or {}))[50 - RESERVED_TAGS :]


def template_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags a template manages: everything but the provider's own marks."""
    return {k: v for k, v in tags.items() if not is_reserved(k)}


def without_claims(tags: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if not k.startswith(CLAIM)}


def manager_tags(me: Resource) -> dict[str, str]:
    """The marks of a set ``me`` creates: it alone manages it."""
    return {MANAGER: me.label}


def claim_tag(me: Resource, expires: float) -> dict[str, str]:
    return {CLAIM + me.token: str(int(expires))}


def claim_key(me: Resource) -> str:
    return CLAIM + me.token


def may_change(marks: Marks, me: Resource) -> bool:
    """Whether ``me`` may change the set: it manages it, or nobody is recorded."""
    return marks.manager in (None, me.token)


def adopted_tags(marks: Marks, me: Resource) -> dict[str, str]:
    """The marks once ``me`` adopted the set: it manages it, and the manager before it goes
    last in the line (it gets the set back when ``me`` lets go)."""
    line = tuple(t for t in marks.line if t != me.token)
    if marks.manager != me.token:
        line = (*line, marks.manager or UNRECORDED)
    return {MANAGER: me.label, LINE: " ".join(line[-MAX_LINE:])}


def decide_delete(marks: Marks, me: Resource) -> DeleteDecision:
    """What ``me``'s Delete does: delete the set (it manages it and nobody is in line, or
    nobody is recorded), hand it back to the last of the line, leave the line, or nothing."""
    if marks.manager is None or (marks.manager == me.token and not marks.line):
        return "delete"
    if marks.manager == me.token:
        return "hand-back"
    if me.token in marks.line:
        return "leave-line"
    return "nothing"


def handed_back_tags(marks: Marks, label: str | None) -> dict[str, str]:
    """The marks once the manager let go: the last of the line manages the set (``label``: its
    manager tag as it was, when the adoption's record kept it; else its token alone)."""
    *rest, previous = marks.line
    if previous == UNRECORDED:
        manager = ""  # unrecorded again, as the adoption found it
    elif label and label.split(" ", 1)[0] == previous:
        manager = label
    else:
        manager = previous
    return {MANAGER: manager, LINE: " ".join(rest)}


def inherited_tags(legacy: list[tuple[str, str]]) -> dict[str, str]:
    """The marks of the line an earlier version kept in its table (StackId and logical ID
    pairs, oldest first; its stand-ins had an empty StackId: "(unrecorded)", "(being
    deleted)", "(deleted)"). Empty when nobody real is in it."""
    tokens: list[str] = []
    last: Resource | None = None
    for stack_id, logical_id in legacy:
        if stack_id:
            last = Resource(stack_id, logical_id)
            tokens.append(last.token)
        elif logical_id == "(unrecorded)":
            tokens.append(UNRECORDED)
    if last is None or tokens[-1] != last.token:
        return {}
    return {MANAGER: last.label, LINE: " ".join(tokens[:-1][-MAX_LINE:])}


def without_me_tags(marks: Marks, me: Resource) -> dict[str, str]:
    """The marks once ``me`` left the line."""
    return {LINE: " ".join(t for t in marks.line if t != me.token)}
