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


def created(me: Owner) -> Line:
    """The line of a set this resource just created."""
    return (me,)


def adopted(line: Line | None, me: Owner) -> Line:
    """The line once ``me`` adopted the set: last, whoever came before."""
    return (*(o for o in line or () if o != me), me)


def manager(line: Line | None) -> Owner | None:
    return line[-1] if line else None


def may_change(line: Line | None, me: Owner) -> bool:
    """Whether ``me`` may change the set: it manages it, or nobody is recorded."""
    return not line or line[-1] == me


def release(line: Line | None, me: Owner) -> Released:
    """What ``me``'s Delete does to the set and its line."""
    if not line:
        return Released(True, ())
    if line[-1] == me:
        rest = line[:-1]
        return Released(not rest, rest)
    return Released(False, tuple(o for o in line if o != me))
