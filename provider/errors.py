"""The ways a request can fail, each a type whose message is the Reason CloudFormation shows.

``physical_id`` is set when a replication set exists that the stack must own even though the
request failed: a Create that made the set and then failed answers with its ARN, so that the
rollback's Delete removes it instead of leaking the account's only replication set.
"""


class ProviderError(Exception):
    """A failure CloudFormation sees as the Reason of a FAILED response."""

    def __init__(
        self, reason: str, physical_id: str | None = None, *, code: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.physical_id = physical_id
        self.code = code  # the AWS error code behind it, when there is one


class InvalidProperties(ProviderError):
    """The template's properties break a rule; nothing was called."""


class NotInPlace(ProviderError):
    """The change needs the set deleted and recreated, which the provider never does itself."""


class AlreadyExists(ProviderError):
    """Another replication set exists in the account (Incident Manager allows one)."""


class Unreachable(ProviderError):
    """The set exists but answers in none of the Regions the provider can call it through."""


class RemovalRefused(ProviderError):
    """Incident Manager refused to remove a Region (it may refuse within 24 h of the addition)."""


class NotManager(ProviderError):
    """Another resource manages the set (it adopted it): this one may not change it."""


class DeletionProtected(ProviderError):
    """Delete refused: the set has deletion protection on."""


class ServiceFailure(ProviderError):
    """Incident Manager refused a call, or kept failing it after retries."""


class SetFailed(ProviderError):
    """The replication set ended in status FAILED."""


class DeadlineExceeded(ProviderError):
    """The overall deadline passed before the set was ready."""


class Handoff(Exception):
    """The Lambda's remaining time is too short to wait more; continue in a new invocation."""
