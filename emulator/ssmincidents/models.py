"""State and rules of the emulated Incident Manager replication-set API, with no HTTP in sight.

Incident Manager keeps one replication set per account, so the backend is keyed by partition
(``aws``, ``aws-cn``...), not by region: a set made through us-east-1 is the one us-west-2 sees.

Status transitions (CREATING/UPDATING/DELETING -> ACTIVE or gone) take ``transition_seconds`` on
the backend's own clock. They are applied lazily, on the next call that looks at the set, so the
emulator needs no background thread; ``advance_clock`` moves that clock for tests.
"""

import json
import os
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel
from moto.kms.models import kms_backends
from moto.utilities.utils import PARTITION_NAMES

from . import validation
from .exceptions import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
    injected,
)

DEFAULT_KEY = "DefaultKey"
TRANSITION_SECONDS_ENV = "SSM_INCIDENTS_TRANSITION_SECONDS"


@dataclass
class Replica:
    """One region of a replication set, as RegionInfo reports it."""

    name: str
    sse_kms_key_id: str
    status: str
    status_update_time: datetime
    status_message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "sseKmsKeyId": self.sse_kms_key_id,
            "status": self.status,
            "statusUpdateDateTime": self.status_update_time,
        }
        if self.status_message:
            info["statusMessage"] = self.status_message
        return info


@dataclass
class Transition:
    """A status change that completes when the backend's clock reaches ``due``."""

    due: datetime
    complete: Callable[[], None]


@dataclass
class Fault:
    code: str
    message: str | None
    remaining: int
    skip: int = 0  # calls to let through before failing


class ReplicationSet(BaseModel):
    def __init__(self, arn: str, caller: str, now: datetime) -> None:
        self.arn = arn
        self.created_by = caller
        self.created_time = now
        self.last_modified_by = caller
        self.last_modified_time = now
        self.deletion_protected = False
        self.status = "CREATING"
        self.replicas: dict[str, Replica] = {}
        self.tags: dict[str, str] = {}
        self.pending: Transition | None = None

    def touch(self, caller: str, now: datetime) -> None:
        self.last_modified_by = caller
        self.last_modified_time = now

    def to_dict(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "createdBy": self.created_by,
            "createdTime": self.created_time,
            "deletionProtected": self.deletion_protected,
            "lastModifiedBy": self.last_modified_by,
            "lastModifiedTime": self.last_modified_time,
            "regionMap": {name: r.to_dict() for name, r in self.replicas.items()},
            "status": self.status,
        }


class SsmIncidentsBackend(BaseBackend):
    """One account's Incident Manager replication set, within one partition."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.replication_set: ReplicationSet | None = None
        self.client_tokens: dict[str, tuple[str, str]] = {}
        self.transition_seconds = float(os.environ.get(TRANSITION_SECONDS_ENV, "0"))
        self.clock_offset = 0.0
        self.faults: dict[str, deque[Fault]] = {}
        self.failing_transition_message: str | None = None
        self.calls: Counter[str] = Counter()
        self.counting = True

    # -- clock, calls and faults -------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    @property
    def caller(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def observe(self, operation: str) -> None:
        """Count a call, then raise the fault injected for it, if any."""
        if self.counting:
            self.calls[operation] += 1
        queue = self.faults.get(operation)
        if not queue:
            return
        fault = queue[0]
        if fault.skip > 0:
            fault.skip -= 1
            return
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        raise injected(fault.code, fault.message, operation)

    def settle(self) -> None:
        """Apply a transition whose time has come."""
        current = self.replication_set
        if current and current.pending and self.now() >= current.pending.due:
            transition, current.pending = current.pending, None
            transition.complete()

    def _schedule(self, rs: ReplicationSet, complete: Callable[[], None]) -> None:
        rs.pending = Transition(self.now() + timedelta(seconds=self.transition_seconds), complete)
        self.settle()

    def _begin_change(self, rs: ReplicationSet, status: str) -> datetime:
        """Put the set in a transitional status, as modified now by the caller."""
        now = self.now()
        rs.status = status
        rs.touch(self.caller, now)
        return now

    def _take_failure(self) -> str | None:
        message, self.failing_transition_message = self.failing_transition_message, None
        return message

    # -- lookups ------------------------------------------------------------------------------

    def _find(self, arn: str | None, field: str = "arn") -> ReplicationSet:
        validation.check_arn(arn, field)
        self.settle()
        rs = self.replication_set
        if rs is None or rs.arn != arn:
            raise ResourceNotFoundException(f"Replication set {arn} does not exist", arn)
        return rs

    def _find_active(self, arn: str | None, field: str = "arn") -> ReplicationSet:
        rs = self._find(arn, field)
        if rs.status != "ACTIVE":
            raise ConflictException(
                f"Replication set {rs.arn} is {rs.status}; wait until it is ACTIVE", rs.arn
            )
        return rs

    def _resolve_key(self, region: str, key: str | None, field: str) -> str:
        """Return the key as the service reports it, or raise if KMS has no such usable key."""
        validation.check_kms_key_field(key, field)
        if key in (None, "", DEFAULT_KEY):
            return DEFAULT_KEY
        assert key is not None
        if key.startswith("arn:"):
            parts = key.split(":")
            if len(parts) < 6 or parts[3] != region or parts[4] != self.account_id:
                raise ValidationException(
                    f"Invalid KMS key at '{field}': {key} is not a key of account "
                    f"{self.account_id} in {region}"
                )
        kms = kms_backends[self.account_id][region]
        try:
            kms_key = kms.describe_key(key)
        except (KeyError, AttributeError, TypeError):
            raise ValidationException(
                f"Invalid KMS key at '{field}': {key} does not exist in {region}"
            ) from None
        if kms_key.key_state != "Enabled":
            raise ValidationException(
                f"Invalid KMS key at '{field}': {key} is {kms_key.key_state}, not Enabled"
            )
        return key

    @staticmethod
    def _check_one_key_kind(keys: Mapping[str, str], field: str) -> None:
        kinds = {key == DEFAULT_KEY for key in keys.values()}
        if len(kinds) > 1:
            raise ValidationException(
                f"Invalid '{field}': a replication set uses the AWS owned key (DefaultKey) in "
                "every region or a customer managed key in every region, never a mix"
            )

    # -- operations ---------------------------------------------------------------------------

    def create_replication_set(
        self,
        regions: Mapping[str, Mapping[str, str]] | None,
        tags: Mapping[str, str] | None,
        client_token: str | None,
    ) -> str:
        validation.check_client_token(client_token)
        validation.check_regions(regions)
        validation.check_tags(tags)
        assert regions is not None
        fingerprint = json.dumps({"regions": regions, "tags": tags or {}}, sort_keys=True)
        if client_token and client_token in self.client_tokens:
            seen_fingerprint, arn = self.client_tokens[client_token]
            if seen_fingerprint != fingerprint:
                raise ConflictException(
                    f"clientToken {client_token} was already used with a different request", arn
                )
            return arn
        self.settle()
        if self.replication_set is not None:
            raise ServiceQuotaExceededException(
                "Only one replication set is allowed per account; one already exists"
            )
        keys = {
            name: self._resolve_key(name, (value or {}).get("sseKmsKeyId"), f"regions.{name}")
            for name, value in regions.items()
        }
        self._check_one_key_kind(keys, "regions")

        now = self.now()
        arn = f"arn:{self.partition}:ssm-incidents::{self.account_id}:replication-set/{uuid4()}"
        rs = ReplicationSet(arn, self.caller, now)
        rs.replicas = {name: Replica(name, key, "CREATING", now) for name, key in keys.items()}
        rs.tags = dict(tags or {})
        self.replication_set = rs
        if client_token:
            self.client_tokens[client_token] = (fingerprint, arn)
        failure = self._take_failure()

        def finish() -> None:
            status = "FAILED" if failure else "ACTIVE"
            rs.status = status
            for replica in rs.replicas.values():
                replica.status, replica.status_message = status, failure
                replica.status_update_time = self.now()

        self._schedule(rs, finish)
        return arn

    def get_replication_set(self, arn: str | None) -> ReplicationSet:
        return self._find(arn)

    def list_replication_sets(
        self, max_results: int | None, next_token: str | None
    ) -> tuple[list[str], str | None]:
        if max_results is not None and not 1 <= max_results <= 100:
            raise validation.fail("maxResults", "Member must be between 1 and 100")
        self.settle()
        arns = [self.replication_set.arn] if self.replication_set else []
        try:
            start = int(next_token) if next_token else 0
        except ValueError:
            raise ValidationException(f"Invalid nextToken: {next_token}") from None
        stop = start + (max_results or 100)
        return arns[start:stop], (str(stop) if stop < len(arns) else None)

    def update_replication_set(
        self, arn: str | None, actions: list[Mapping[str, Any]] | None, client_token: str | None
    ) -> None:
        validation.check_client_token(client_token)
        if not actions or len(actions) != 1:
            raise validation.fail("actions", "Member must have exactly 1 item")
        action = actions[0]
        if len(action) != 1:
            raise validation.fail(
                "actions.0", "exactly one of addRegionAction or deleteRegionAction must be set"
            )
        rs = self._find_active(arn)
        if "addRegionAction" in action:
            self._add_region(rs, action["addRegionAction"])
        elif "deleteRegionAction" in action:
            self._delete_region(rs, action["deleteRegionAction"])
        else:
            raise validation.fail("actions.0", f"unknown action {next(iter(action))}")

    def _add_region(self, rs: ReplicationSet, add: Mapping[str, str]) -> None:
        name = add.get("regionName", "")
        field_name = "actions.0.addRegionAction"
        validation.check_region_name(name, f"{field_name}.regionName")
        if name in rs.replicas:
            raise ValidationException(f"Region {name} is already in replication set {rs.arn}")
        if len(rs.replicas) >= validation.MAX_REGIONS:
            raise ValidationException(
                f"A replication set can have at most {validation.MAX_REGIONS} regions; "
                f"{rs.arn} already has {len(rs.replicas)}"
            )
        key = self._resolve_key(name, add.get("sseKmsKeyId"), f"{field_name}.sseKmsKeyId")
        existing = {n: r.sse_kms_key_id for n, r in rs.replicas.items()}
        self._check_one_key_kind({**existing, name: key}, field_name)
        now = self._begin_change(rs, "UPDATING")
        replica = Replica(name, key, "CREATING", now)
        rs.replicas[name] = replica
        failure = self._take_failure()

        def finish() -> None:
            rs.status = "FAILED" if failure else "ACTIVE"
            replica.status, replica.status_message = rs.status, failure
            replica.status_update_time = self.now()

        self._schedule(rs, finish)

    def _delete_region(self, rs: ReplicationSet, delete: Mapping[str, str]) -> None:
        name = delete.get("regionName", "")
        if name not in rs.replicas:
            raise ValidationException(f"Region {name} is not in replication set {rs.arn}")
        if len(rs.replicas) == 1:
            raise ValidationException(
                f"Cannot delete {name}: it is the last region of replication set {rs.arn}; "
                "delete the replication set instead"
            )
        now = self._begin_change(rs, "UPDATING")
        replica = rs.replicas[name]
        replica.status, replica.status_update_time = "DELETING", now

        def finish() -> None:
            rs.replicas.pop(name, None)
            rs.status = "ACTIVE"

        self._schedule(rs, finish)

    def update_deletion_protection(
        self, arn: str | None, deletion_protected: bool | None, client_token: str | None
    ) -> None:
        validation.check_client_token(client_token)
        if deletion_protected is None:
            raise validation.fail("deletionProtected", "Member must not be null")
        rs = self._find_active(arn)
        rs.deletion_protected = bool(deletion_protected)
        rs.touch(self.caller, self.now())

    def delete_replication_set(self, arn: str | None) -> None:
        rs = self._find(arn)
        if rs.status not in ("ACTIVE", "FAILED"):
            raise ConflictException(
                f"Replication set {rs.arn} is {rs.status}; wait until it is ACTIVE", rs.arn
            )
        if rs.deletion_protected:
            raise ValidationException(
                f"Replication set {rs.arn} has deletion protection enabled; "
                "disable it with UpdateDeletionProtection first"
            )
        now = self._begin_change(rs, "DELETING")
        for replica in rs.replicas.values():
            replica.status, replica.status_update_time = "DELETING", now

        def finish() -> None:
            self.replication_set = None
            self.client_tokens = {t: v for t, v in self.client_tokens.items() if v[1] != rs.arn}

        self._schedule(rs, finish)

    def tag_resource(self, arn: str | None, tags: Mapping[str, str] | None) -> None:
        validation.check_tags(tags, minimum=1)
        assert tags is not None
        rs = self._find_active(arn, "resourceArn")
        merged = {**rs.tags, **tags}
        if len(merged) > validation.MAX_TAGS:
            raise ServiceQuotaExceededException(
                f"A resource can have at most {validation.MAX_TAGS} tags; "
                f"this request would make {len(merged)}"
            )
        rs.tags = merged

    def untag_resource(self, arn: str | None, tag_keys: list[str] | None) -> None:
        if not tag_keys:
            raise validation.fail("tagKeys", "Member must have at least 1 item")
        validation.check_tag_keys(tag_keys, "tagKeys")
        rs = self._find_active(arn, "resourceArn")
        for key in tag_keys:
            rs.tags.pop(key, None)

    def list_tags_for_resource(self, arn: str | None) -> dict[str, str]:
        return dict(self._find(arn, "resourceArn").tags)

    # -- fault injection (see emulator.control) -----------------------------------------------

    def inject_fault(
        self, operation: str, code: str, count: int, message: str | None, after: int = 0
    ) -> None:
        self.faults.setdefault(operation, deque()).append(Fault(code, message, count, after))


ssmincidents_backends = BackendDict(
    SsmIncidentsBackend,
    "ssm-incidents",
    use_boto3_regions=False,
    additional_regions=PARTITION_NAMES,
)
