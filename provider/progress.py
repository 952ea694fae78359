"""What one request has made so far, kept where crhelper's timer can read it safely: one
frozen value, replaced whole at each change."""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Made:
    """What one request has made or taken on so far, which its answer must name, across
    invocations too: the ARN CreateReplicationSet returned (from then on every answer names the
    set: a Create's FAILED with it, so that the rollback's Delete removes it, and a continuation
    never depends on issuing CreateReplicationSet again), or the set a Create is adopting."""

    created: str | None = None
    creating: bool = False  # CreateReplicationSet was called; its answer may not have come
    #: The set a Create is adopting: a FAILED answer names it, so that the rollback's Delete
    #: (this resource's) puts back whatever the adoption changed before it failed.
    adopting: str | None = None

    def recreated(self, request_type: str, physical_id: str) -> bool:
        """An Update made a new set (its old one was gone): no stack will own it if it fails."""
        return request_type == "Update" and self.created not in (None, physical_id)


class Progress:
    """A request's :class:`Made`, replaced whole at each change: crhelper's timer thread reads
    ``now`` once, a consistent snapshot, while the step goes on."""

    def __init__(self, made: Made | None = None) -> None:
        self.now = made or Made()

    def creating(self, calling: bool) -> None:
        self.now = replace(self.now, creating=calling)

    def created(self, arn: str) -> None:
        self.now = replace(self.now, created=arn)

    def adopting(self, arn: str) -> None:
        self.now = replace(self.now, adopting=arn)
