"""The edge to Incident Manager: read the live set, apply one action, and turn errors into types.

Incident Manager answers for a replication set only in the set's own Regions, so every call
about the set names the Region it goes through; the clients are built per Region on first use.

Each call gets botocore's standard retry mode (``PROVIDER_MAX_ATTEMPTS`` attempts, which fit
the hand-off reserve). A request's step calls through :meth:`IncidentsApi.within` its budget:
throttling, and for reads the service's 5xx and lost connections, are then waited out until the
request's deadline (``provider.waiting``), handing off to a new invocation when this one's time
runs short, since CloudFormation never retries a custom resource. Whatever is left surfaces as
:class:`ServiceFailure` whose reason names the operation and what to do.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Self, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from .actions import Action, AddRegion, RemoveRegion, TagSet, UntagSet
from .errors import ServiceFailure
from .live import LiveRegion, LiveReplicationSet
from .waiting import Budget, patiently

if TYPE_CHECKING:
    from mypy_boto3_ssm_incidents import SSMIncidentsClient
    from mypy_boto3_ssm_incidents.type_defs import (
        AddRegionActionTypeDef,
        DeleteRegionActionTypeDef,
        ReplicationSetTypeDef,
    )


T = TypeVar("T")


class SetExists(Exception):
    """CreateReplicationSet refused: the account already has a replication set."""


class NotFound(Exception):
    """The set does not answer through that Region: it is gone, or not in that Region."""


class SetReader:
    """Incident Manager's reads of the set (``home``: the provider's own Region), each typed
    and waited out within a budget (:meth:`within`); :class:`IncidentsApi` adds the changes."""

    def __init__(
        self,
        client_for: Callable[[str], "SSMIncidentsClient"],
        home: str,
        budget: Budget | None = None,
    ) -> None:
        self._client_for = client_for
        self.home = home
        self._budget = budget

    def within(self, budget: Budget) -> Self:
        """The same API (its clients shared) whose calls wait out throttling, and for reads
        the service's 5xx and lost connections, within ``budget``: what a request's step
        calls through, so that a burst ends the request only at its deadline.

        >>> api.within(budget).status(arn, "us-east-1")  # doctest: +SKIP
        """
        return type(self)(self._client_for, self.home, budget)

    def _call(
        self,
        operation: str,
        call: Callable[[], T],
        *,
        expected: tuple[str, ...] = (),
        mutating: bool = False,
    ) -> T:
        """``call()``, retried as its kind allows (``provider.waiting``), its errors typed."""
        with _calling(operation, expected):
            return patiently(
                call,
                self._budget,
                operation=operation,
                service="Incident Manager",
                mutating=mutating,
            )

    def service_regions(self) -> tuple[str, ...]:
        """Every Region where Incident Manager answers in the provider's partition (botocore's
        endpoint data): where a set that no Region the provider knows sees may still be."""
        import boto3  # noqa: PLC0415 - only a set moved out of every known Region needs it

        session = boto3.session.Session()
        partition = session.get_partition_for_region(self.home) if self.home else "aws"
        return tuple(session.get_available_regions("ssm-incidents", partition_name=partition))

    def existing_arn(self) -> str | None:
        """The account's replication set, if any (ListReplicationSets)."""

        def first() -> str | None:
            pages = self._client_for(self.home).get_paginator("list_replication_sets").paginate()
            return next((arn for page in pages for arn in page["replicationSetArns"]), None)

        return self._call("ListReplicationSets", first)

    def find(self, arn: str, region: str) -> LiveReplicationSet:
        """The whole set, tags included (two calls), through ``region``; NotFound otherwise."""
        live = self._read(arn, region)
        try:
            tags = self._call(
                "ListTagsForResource",
                lambda: self._client_for(region).list_tags_for_resource(resourceArn=arn)["tags"],
                expected=("ResourceNotFoundException",),
            )
        except ClientError:
            raise NotFound(arn) from None
        return replace(live, tags=tags)

    def status(self, arn: str, region: str) -> LiveReplicationSet | None:
        """The set's status, without its tags (one call: what waits poll), or None when
        ``region`` does not see it."""
        try:
            return self._read(arn, region)
        except NotFound:
            return None

    def _read(self, arn: str, region: str) -> LiveReplicationSet:
        try:
            found = self._call(
                "GetReplicationSet",
                lambda: self._client_for(region).get_replication_set(arn=arn)["replicationSet"],
                expected=("ResourceNotFoundException",),
            )
        except ClientError:
            raise NotFound(arn) from None
        return _live(arn, found)


class IncidentsApi(SetReader):
    """Incident Manager as the provider calls it: the reads, and each change the set takes."""

    def create(
        self, region_keys: Mapping[str, str | None], tags: Mapping[str, str], client_token: str
    ) -> str:
        """Create the set (idempotent per token) in ``region_keys``' Regions (a Region's key, or
        None for the AWS owned key) with ``tags`` (the template's and who manages it) and
        return its ARN; SetExists if one exists."""
        regions = {name: {"sseKmsKeyId": service_key(key)} for name, key in region_keys.items()}
        expected = ("ServiceQuotaExceededException", "ConflictException")
        tags = dict(tags)
        kwargs = {"tags": tags} if tags else {}
        try:
            return self._call(
                "CreateReplicationSet",
                lambda: self._client_for(self.home).create_replication_set(
                    regions=regions,  # type: ignore[arg-type]
                    clientToken=client_token[:128],
                    **kwargs,
                )["arn"],
                expected=expected,
                mutating=True,
            )
        except ClientError as error:
            # The quota error says a set exists; ConflictException (the model declares it, the
            # API reference: "an inconsistent state") may mean one, or a change under way:
            # ListReplicationSets tells which.
            if _code(error) == "ConflictException" and self.existing_arn() is None:
                with _calling("CreateReplicationSet"):
                    raise
            raise SetExists(error.response["Error"].get("Message", "")) from error

    def apply(self, arn: str, action: Action) -> None:
        """Make the one call that carries out ``action``, through the Region it names."""
        client = self._client_for(action.via or self.home)
        match action:
            case AddRegion(name, kms_key):
                add: AddRegionActionTypeDef = {
                    "regionName": name,
                    "sseKmsKeyId": service_key(kms_key),
                }
                self._change(
                    "UpdateReplicationSet",
                    lambda: client.update_replication_set(
                        arn=arn, actions=[{"addRegionAction": add}]
                    ),
                )
            case RemoveRegion(name):
                remove: DeleteRegionActionTypeDef = {"regionName": name}
                self._change(
                    "UpdateReplicationSet",
                    lambda: client.update_replication_set(
                        arn=arn, actions=[{"deleteRegionAction": remove}]
                    ),
                )
            case TagSet(tags):
                self._change(
                    "TagResource", lambda: client.tag_resource(resourceArn=arn, tags=dict(tags))
                )
            case UntagSet(keys):
                self._change(
                    "UntagResource",
                    lambda: client.untag_resource(resourceArn=arn, tagKeys=list(keys)),
                )
            case _:  # SetDeletionProtection, the one kind left (mypy narrows the match to it)
                enabled = action.enabled
                self._change(
                    "UpdateDeletionProtection",
                    lambda: client.update_deletion_protection(arn=arn, deletionProtected=enabled),
                )

    def _change(self, operation: str, call: Callable[[], object]) -> None:
        """A call that changes the set: made again only when throttled (``provider.waiting``)."""
        self._call(operation, call, mutating=True)

    def delete(self, arn: str, region: str) -> bool:
        """Start deleting the set; False when it was already gone."""
        try:
            self._call(
                "DeleteReplicationSet",
                lambda: self._client_for(region).delete_replication_set(arn=arn),
                expected=("ResourceNotFoundException",),
                mutating=True,
            )
        except ClientError:
            return False
        return True


#: How Incident Manager names the AWS owned key; the provider's own name for it is None.
SERVICE_DEFAULT_KEY = "DefaultKey"


def service_key(kms_key: str | None) -> str:
    """The key as Incident Manager takes it: the customer managed key, or DefaultKey."""
    return kms_key or SERVICE_DEFAULT_KEY


def own_key(reported: str | None) -> str | None:
    """The key Incident Manager reports, as the provider holds it: None for the AWS owned key."""
    return None if reported in (None, SERVICE_DEFAULT_KEY) else reported


def _live(arn: str, found: "ReplicationSetTypeDef") -> LiveReplicationSet:
    regions = {
        name: LiveRegion(
            kms_key=own_key(info.get("sseKmsKeyId")),
            status=info["status"],
            status_message=info.get("statusMessage"),
            status_updated=info.get("statusUpdateDateTime"),
        )
        for name, info in found["regionMap"].items()
    }
    return LiveReplicationSet(arn, found["status"], regions, found["deletionProtected"])


ADVICE = {
    "AccessDeniedException": "grant ssm-incidents:{op} to the provider's execution role",
    "ThrottlingException": "Incident Manager kept throttling the provider; retry the stack update",
    "InternalServerException": "Incident Manager kept failing; retry the stack update",
    "ConflictException": (
        "another change to the replication set is in progress; retry when it is ACTIVE"
    ),
    "ServiceQuotaExceededException": "a service quota is reached",
}


def _code(error: ClientError) -> str:
    return str(error.response["Error"].get("Code", "Unknown"))


@contextmanager
def _calling(operation: str, expected: tuple[str, ...] = ()) -> Iterator[None]:
    """Turn botocore errors into ServiceFailure, except the codes the caller handles itself."""
    try:
        yield
    except ClientError as error:
        code = error.response["Error"].get("Code", "Unknown")
        if code in expected:
            raise
        message = error.response["Error"].get("Message", "")
        attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        advice = ADVICE.get(code, "").format(op=operation)
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        reason = f"{operation} failed with {code}{tries}: {message}"
        raise ServiceFailure(f"{reason} ({advice})" if advice else reason, code=code) from error
    except BotoCoreError as error:
        raise ServiceFailure(f"{operation} could not reach Incident Manager: {error}") from error
