"""Who manages the account's replication set: the rules, pure. The records live in DynamoDB
(``provider.records``); this module only says what a request may do given them.

The set is the account's only one, and deleting it deletes every incident record, so a set
has a line of managers, oldest first: the resource that created it, then each resource that
adopted it (``AdoptExisting``). The last of the line manages it:

- an Update from any other resource is refused, naming the manager;
- a Delete from the manager deletes the set only when nobody is before it in the line; an
  adopter's Delete hands the set back to the one before (the rollback of an adoption, or a
  second stack that let go of it), and the set stays;
- a Delete from a resource earlier in the line (the old logical ID after a rename, the first
  stack after a second adopted it) only takes it out of the line;
- no line at all (a set made before this version, or a lost record): the first Create or Update
  that manages it starts the line, and a Delete deletes the set, as before.

    >>> a, b = Owner("stack-a", "Set"), Owner("stack-b", "Set")
    >>> release((a, b), a)
    Released(delete_set=False, remaining=(Owner(stack_id='stack-b', logical_id='Set'),))
    >>> release((a,), a).delete_set
    True
"""

from dataclasses import dataclass

Line = tuple["Owner", ...]


@dataclass(frozen=True)
class Owner:
    """A resource of a stack: CloudFormation's StackId (with its GUID) and the logical ID."""

    stack_id: str
    logical_id: str

    @property
    def stack_name(self) -> str:
        parts = self.stack_id.split("/")
        return parts[1] if len(parts) >= 3 else self.stack_id

    def __str__(self) -> str:
        return f"resource {self.logical_id} of stack {self.stack_name} ({self.stack_id})"


@dataclass(frozen=True)
class Released:
    """What a Delete does: delete the set, or leave it to ``remaining``."""

    delete_set: bool
    remaining: Line


#: Stands in the line for whoever managed a set before anything was recorded (a set made
#: before this version, or whose record was lost): that one's Delete deletes the set, as
#: before; an adopter's Delete hands the set back to it.
UNRECORDED = Owner("", "(unrecorded)")
#: Ends the line while its manager deletes the set: an adoption then is refused, rather than
#: both winning (the adopter would manage a deleted set).
DELETING = Owner("", "(being deleted)")
#: The whole line once the set is gone: kept (never removed, so versions only go up) so that an
#: adoption that read the set before it was deleted cannot record itself after.
GONE = Owner("", "(deleted)")


def created(me: Owner) -> Line:
    """The line of a set this resource just created."""
    return (me,)


def adopted(line: Line | None, me: Owner) -> Line:
    """The line once ``me`` adopted the set: last, after whoever came before (an unrecorded
    manager, when nothing was recorded)."""
    if line and line[-1] in (DELETING, GONE):
        raise ValueError(f"the set is {line[-1].logical_id.strip('()')}")
    return (*(o for o in line or (UNRECORDED,) if o != me), me)


def manager(line: Line | None) -> Owner | None:
    return line[-1] if line else None


def may_change(line: Line | None, me: Owner) -> bool:
    """Whether ``me`` may change the set: it manages it, or nobody is recorded."""
    return not line or line[-1] in (me, UNRECORDED)


def claimed(line: Line | None, me: Owner) -> Line:
    """The line once ``me``, which may change the set, manages it."""
    if not line or line[-1] == UNRECORDED:
        return (*(line or ())[:-1], me)
    return line


def release(line: Line | None, me: Owner) -> Released:
    """What ``me``'s Delete does to the set and its line. A Delete that deletes the set
    marks the line (``DELETING``) until the set is gone."""
    if line and line[-1] == DELETING:
        line = line[:-1]  # a Delete of the set started before: carry on if it is ``me``'s
    if not line or line[-1] == UNRECORDED or line == (me,):
        return Released(True, (*(line or ()), DELETING))
    if line[-1] == me:
        return Released(False, line[:-1])
    return Released(False, tuple(o for o in line if o != me))
