"""State and rules of the emulated Incident Manager replication-set API, with no HTTP in sight.

Incident Manager keeps one replication set per account, so the backend is keyed by partition
(``aws``, ``aws-cn``...), not by region: a set made through us-east-1 is the one us-west-2 sees.

The set answers only in its own Regions: every call about it made through another Region is
``ResourceNotFoundException``, while ``ListReplicationSets`` answers from any Region (the README's
emulator table gives the sources of each rule, and which are assumed).

Status changes (CREATING/UPDATING/DELETING -> ACTIVE or gone) are moto ``ManagedState``s:
moto's state manager ends them at once (the default), after a number of GetReplicationSet
calls, or after some seconds (model name ``ssm-incidents::replication-set``). A change ends
lazily, on the next call that looks at the set, so the emulator needs no background thread.
"""

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel
from moto.core.exceptions import InvalidToken, JsonRESTError
from moto.core.utils import utcnow
from moto.kms.models import kms_backends
from moto.moto_api import state_manager
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.utilities.paginator import paginate
from moto.utilities.tagging_service import TaggingService
from moto.utilities.utils import PARTITION_NAMES

from . import validation
from .exceptions import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)

DEFAULT_KEY = "DefaultKey"
#: The state manager's name for the set's status changes (moto's state-transition docs).
TRANSITION_MODEL = "ssm-incidents::replication-set"
#: Assumed rule, off by default: a Region younger than this many seconds cannot be removed.
#: Source: the user guide ("wait 24 hours after creating it"); Terraform's acceptance test
#: updateRegionsWithoutCMK removes a Region minutes after adding it, so the scope is unclear.
REMOVAL_MIN_AGE_ENV = "MOTO_SSM_INCIDENTS_REGION_REMOVAL_MIN_AGE_SECONDS"
#: Assumed rule, strict by default: a FAILED set (a Region whose addition failed) takes no
#: UpdateReplicationSet. No source says whether the service lets a failed Region be removed;
#: set this to true for the lenient reading, where removing the failed Regions is allowed and
#: brings the set back to ACTIVE.
FAILED_REGION_REMOVABLE_ENV = "MOTO_SSM_INCIDENTS_FAILED_REGION_REMOVABLE"
#: A replication set holds at most three Regions (API reference: "up to three Regions").
MAX_REGIONS = 3
#: A resource holds at most 50 tags (API reference, TagResource and the TagMap shape).
MAX_TAGS = 50
#: ListReplicationSets pages with moto's paginator (the model: maxResults 1 to 100).
PAGINATION_MODEL = {
    "_list_replication_sets": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    }
}


@dataclass
class Replica:
    """One region of a replication set, as RegionInfo reports it."""

    name: str
    sse_kms_key_id: str
    status: str
    status_update_time: datetime
    added_time: datetime
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


def region_removal_min_age_seconds() -> float:
    """The assumed 24-hour rule's age, read at each call like moto's settings (0: off)."""
    return float(os.environ.get(REMOVAL_MIN_AGE_ENV, "0"))


def failed_region_removable() -> bool:
    return os.environ.get(FAILED_REGION_REMOVABLE_ENV, "false").lower() == "true"


class StatusChange(ManagedState):
    """One status change of the set in progress, from ``status`` to ``outcome``; moto's state
    manager decides when it ends, and ``finish`` then applies it."""

    def __init__(
        self, status: str, outcome: str, finish: Callable[[datetime], None]
    ) -> None:
        super().__init__(TRANSITION_MODEL, transitions=[(status, outcome)])
        self.outcome = outcome
        self.finish = finish
        self.started = utcnow()

    @property
    def ended(self) -> bool:
        return self.status == self.outcome

    def ended_at(self) -> datetime:
        """When the change ended: under "time" progression its start plus the seconds (it
        is applied at the next call that looks at the set), else now."""
        transition = state_manager.get_transition(TRANSITION_MODEL)
        if transition["progression"] == "time":
            due = self.started + timedelta(seconds=transition["seconds"])
            return min(utcnow(), due)
        return utcnow()


state_manager.register_default_transition(
    TRANSITION_MODEL, {"progression": "immediate"}
)


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
        self.change: StatusChange | None = None

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
        self.tagger = TaggingService(key_name="key", value_name="value")

    @property
    def caller(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def _settle(self) -> None:
        """Apply the set's status change if the state manager has ended it."""
        current = self.replication_set
        if current and current.change and current.change.ended:
            change, current.change = current.change, None
            change.finish(change.ended_at())

    def _start_change(
        self,
        rs: ReplicationSet,
        status: str,
        outcome: str,
        finish: Callable[[datetime], None],
    ) -> datetime:
        """Put the set in a transitional status, as modified now by the caller."""
        now = utcnow()
        rs.status = status
        rs.touch(self.caller, now)
        rs.change = StatusChange(status, outcome, finish)
        return now

    def _key_problem(self, region: str, key: str) -> str | None:
        """Why a Region being created with ``key`` fails, if it does: its customer managed key
        was disabled or scheduled for deletion before the Region became ACTIVE.

        Assumed (the user guide says a replica needs an enabled key, not when the service
        checks): the key is checked again when the creation ends, as well as when it starts.
        """
        if key == DEFAULT_KEY:
            return None
        try:
            state = kms_backends[self.account_id][region].describe_key(key).key_state
        except (KeyError, JsonRESTError):
            return f"KMS key {key} no longer exists"
        return None if state == "Enabled" else f"KMS key {key} is {state}"

    # -- lookups ------------------------------------------------------------------------------

    def _find(self, arn: str, region: str) -> ReplicationSet:
        """The set ``arn`` names, as seen through ``region``.

        Region membership: the set's ARN has no Region, and the service answers for it only in
        the Regions it replicates to (Terraform's documentation: "The Region specified by a
        Terraform provider must always be one of the Regions specified for the replication
        set"; third-party observation: GetReplicationSet elsewhere is ResourceNotFound).
        """
        self._settle()
        rs = self.replication_set
        if rs is None or rs.arn != arn or region not in rs.replicas:
            raise ResourceNotFoundException(
                f"Replication set {arn} does not exist in {region}", arn
            )
        return rs

    def _find_active(self, arn: str, region: str) -> ReplicationSet:
        rs = self._find(arn, region)
        if rs.status != "ACTIVE":
            raise ConflictException(
                f"Replication set {rs.arn} is {rs.status}; wait until it is ACTIVE",
                rs.arn,
            )
        return rs

    def _find_settled(self, arn: str, region: str) -> ReplicationSet:
        """For the operations whose model declares no ConflictException (assumed: a set in
        transition is refused with ValidationException there)."""
        rs = self._find(arn, region)
        if rs.status not in ("ACTIVE", "FAILED"):
            raise ValidationException(
                f"Replication set {rs.arn} is {rs.status}; wait until it is ACTIVE"
            )
        return rs

    def _resolve_key(self, region: str, key: str | None, field: str) -> str:
        """Return the key as the service reports it, or raise if it is no usable key there.

        Source: the Incident Manager user guide (data protection): a customer managed key in
        the same Region as the replica, a symmetric encryption key (no asymmetric or HMAC
        key), with key material from KMS (no imported material, no custom key store), enabled.
        """
        if key in (None, "", DEFAULT_KEY):
            return DEFAULT_KEY
        assert key is not None

        def refuse(problem: str) -> ValidationException:
            return ValidationException(
                f"Invalid KMS key at '{field}' in {region}: {key} {problem}"
            )

        if key.startswith("arn:"):
            parts = key.split(":")
            if len(parts) < 6 or parts[3] != region or parts[4] != self.account_id:
                raise refuse(f"is not a key of account {self.account_id} in {region}")
        try:
            kms_key = kms_backends[self.account_id][region].describe_key(key)
        except (KeyError, AttributeError, TypeError, JsonRESTError):
            raise refuse("does not exist") from None
        usage = (
            kms_key.key_usage or "ENCRYPT_DECRYPT"
        )  # moto keeps None for KMS's default
        if kms_key.key_spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
            raise refuse(
                f"is a {kms_key.key_spec} {usage} key; Incident Manager needs a "
                "symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)"
            )
        if kms_key.origin != "AWS_KMS":
            raise refuse(
                f"has origin {kms_key.origin}; Incident Manager needs key material from KMS "
                "(origin AWS_KMS: no imported key material, no custom key store)"
            )
        if kms_key.key_state != "Enabled":
            raise refuse(f"is {kms_key.key_state}, not Enabled")
        return key

    @staticmethod
    def _check_one_key_kind(keys: Mapping[str, str], field: str) -> None:
        """Source: the native type's handler and the user guide: every Region uses the AWS owned
        key or every Region a customer managed key."""
        kinds = {key == DEFAULT_KEY for key in keys.values()}
        if len(kinds) > 1:
            raise ValidationException(
                f"Invalid '{field}': a replication set uses the AWS owned key (DefaultKey) in "
                "every region or a customer managed key in every region, never a mix"
            )

    # -- operations (input already checked against the model: see responses.py) -------------

    def create_replication_set(
        self,
        region: str,
        regions: Mapping[str, Mapping[str, str]],
        tags: Mapping[str, str] | None,
        client_token: str | None,
    ) -> str:
        for name in regions:
            validation.check_region_name(name, f"regions.{name}", self.partition)
        if region not in regions:
            # Source: the native type's contract tests (inputs_1_invalid.json, a set whose only
            # Region is another) and Terraform's documentation (see _find).
            raise ValidationException(
                f"Invalid 'regions': the Region of the request ({region}) must be one of the "
                f"replication set's Regions, got {', '.join(sorted(regions))}"
            )
        fingerprint = json.dumps(
            {"regions": regions, "tags": tags or {}}, sort_keys=True
        )
        if client_token and client_token in self.client_tokens:
            seen_fingerprint, arn = self.client_tokens[client_token]
            if seen_fingerprint != fingerprint:
                raise ConflictException(
                    f"clientToken {client_token} was already used with a different request",
                    arn,
                )
            return arn
        self._settle()
        if self.replication_set is not None:
            raise ServiceQuotaExceededException(
                "Only one replication set is allowed per account; one already exists"
            )
        keys = {
            name: self._resolve_key(
                name, (value or {}).get("sseKmsKeyId"), f"regions.{name}"
            )
            for name, value in regions.items()
        }
        self._check_one_key_kind(keys, "regions")

        set_id = mock_random.uuid4()
        arn = f"arn:{self.partition}:ssm-incidents::{self.account_id}:replication-set/{set_id}"
        rs = ReplicationSet(arn, self.caller, utcnow())
        self.tagger.tag_resource(
            arn, [{"key": k, "value": v} for k, v in (tags or {}).items()]
        )
        self.replication_set = rs
        if client_token:
            self.client_tokens[client_token] = (fingerprint, arn)

        def finish(at: datetime) -> None:
            for replica in rs.replicas.values():
                self._end_creation(replica, at)
            failed = any(replica.status == "FAILED" for replica in rs.replicas.values())
            rs.status = "FAILED" if failed else "ACTIVE"

        now = self._start_change(rs, "CREATING", "ACTIVE", finish)
        rs.replicas = {
            name: Replica(name, key, "CREATING", now, now) for name, key in keys.items()
        }
        self._settle()  # "immediate" progression: ended already
        return arn

    def _end_creation(self, replica: Replica, at: datetime) -> None:
        """A Region's creation ends ACTIVE, or FAILED if its key became unusable meanwhile.

        Assumed: the key is checked when the change is applied, which under "time"
        progression is the first call after its end that looks at the set (moto's KMS keeps
        no time of a key's disabling), so a key disabled in between counts as before the end.
        """
        problem = self._key_problem(replica.name, replica.sse_kms_key_id)
        replica.status = "FAILED" if problem else "ACTIVE"
        replica.status_message = problem
        replica.status_update_time = at

    def get_replication_set(self, region: str, arn: str) -> ReplicationSet:
        """The status read: each one advances a change that the state manager ends after a
        number of reads (``"progression": "manual"``)."""
        rs = self._find(arn, region)
        if rs.change:
            rs.change.advance()
            return self._find(arn, region)
        return rs

    def list_replication_sets(
        self, max_results: int | None, next_token: str | None
    ) -> tuple[list[ReplicationSet], str | None]:
        """Answers from any Region: the set is the account's, whichever Regions it is in."""
        try:
            return self._list_replication_sets(
                max_results=max_results, next_token=next_token
            )
        except InvalidToken:
            raise ValidationException(f"Invalid nextToken: {next_token}") from None

    @paginate(pagination_model=PAGINATION_MODEL)
    def _list_replication_sets(self) -> list[ReplicationSet]:
        self._settle()
        return [self.replication_set] if self.replication_set else []

    def update_replication_set(
        self, region: str, arn: str, actions: list[Mapping[str, Any]]
    ) -> None:
        action = actions[0]
        rs = self._find(arn, region)
        if rs.status == "FAILED" and failed_region_removable():
            self._remove_failed_region(rs, action)
        else:
            rs = self._find_active(arn, region)
            if "addRegionAction" in action:
                self._add_region(rs, action["addRegionAction"])
            else:
                self._delete_region(rs, action["deleteRegionAction"])
        self._settle()  # "immediate" progression: ended already

    def _remove_failed_region(
        self, rs: ReplicationSet, action: Mapping[str, Any]
    ) -> None:
        """The lenient reading of the assumed rule (FAILED_REGION_REMOVABLE_ENV): a FAILED set
        takes only the removal of a Region that failed; once none is left, it is ACTIVE."""
        name = (action.get("deleteRegionAction") or {}).get("regionName")
        replica = rs.replicas.get(name) if name else None
        if replica is None or replica.status != "FAILED" or len(rs.replicas) == 1:
            raise ConflictException(
                f"Replication set {rs.arn} is FAILED; only a failed Region can be removed",
                rs.arn,
            )

        def finish(at: datetime) -> None:
            rs.replicas.pop(replica.name, None)
            failed = any(r.status == "FAILED" for r in rs.replicas.values())
            rs.status = "FAILED" if failed else "ACTIVE"

        now = self._start_change(rs, "UPDATING", "ACTIVE", finish)
        replica.status, replica.status_update_time = "DELETING", now

    def _add_region(self, rs: ReplicationSet, add: Mapping[str, str]) -> None:
        name = add["regionName"]
        field_name = "actions.1.member.addRegionAction"
        validation.check_region_name(name, f"{field_name}.regionName", self.partition)
        if name in rs.replicas:
            raise ValidationException(
                f"Region {name} is already in replication set {rs.arn}"
            )
        if len(rs.replicas) >= MAX_REGIONS:
            raise ValidationException(
                f"A replication set can have at most {MAX_REGIONS} regions; "
                f"{rs.arn} already has {len(rs.replicas)}"
            )
        key = self._resolve_key(
            name, add.get("sseKmsKeyId"), f"{field_name}.sseKmsKeyId"
        )
        existing = {n: r.sse_kms_key_id for n, r in rs.replicas.items()}
        self._check_one_key_kind({**existing, name: key}, field_name)

        def finish(at: datetime) -> None:
            self._end_creation(replica, at)
            rs.status = replica.status

        now = self._start_change(rs, "UPDATING", "ACTIVE", finish)
        replica = Replica(name, key, "CREATING", now, now)
        rs.replicas[name] = replica

    def _delete_region(self, rs: ReplicationSet, delete: Mapping[str, str]) -> None:
        name = delete["regionName"]
        if name not in rs.replicas:
            raise ValidationException(
                f"Region {name} is not in replication set {rs.arn}"
            )
        if len(rs.replicas) == 1:
            raise ValidationException(
                f"Cannot delete {name}: it is the last region of replication set {rs.arn}; "
                "delete the replication set instead"
            )
        replica = rs.replicas[name]
        age = (utcnow() - replica.added_time).total_seconds()
        min_age = region_removal_min_age_seconds()
        if age < min_age:
            # Assumed rule (switch: REMOVAL_MIN_AGE_ENV), after the user guide's 24 hours.
            raise ValidationException(
                f"Cannot delete Region {name} from replication set {rs.arn}: it was added at "
                f"{replica.added_time:%Y-%m-%d %H:%M:%S} UTC, and a Region can be deleted only "
                f"{min_age:g} seconds after it was created"
            )

        def finish(at: datetime) -> None:
            rs.replicas.pop(name, None)
            rs.status = "ACTIVE"

        now = self._start_change(rs, "UPDATING", "ACTIVE", finish)
        replica.status, replica.status_update_time = "DELETING", now

    def update_deletion_protection(
        self, region: str, arn: str, deletion_protected: bool
    ) -> None:
        rs = self._find_settled(arn, region)
        rs.deletion_protected = deletion_protected
        rs.touch(self.caller, utcnow())

    def delete_replication_set(self, region: str, arn: str) -> None:
        rs = self._find_settled(arn, region)
        if rs.deletion_protected:
            raise ValidationException(
                f"Replication set {rs.arn} has deletion protection enabled; "
                "disable it with UpdateDeletionProtection first"
            )

        def finish(at: datetime) -> None:
            self.replication_set = None
            self.tagger.delete_all_tags_for_resource(rs.arn)
            self.client_tokens = {
                t: v for t, v in self.client_tokens.items() if v[1] != rs.arn
            }

        now = self._start_change(rs, "DELETING", "DELETED", finish)
        for replica in rs.replicas.values():
            replica.status, replica.status_update_time = "DELETING", now
        self._settle()  # "immediate" progression: ended already

    def tag_resource(self, region: str, arn: str, tags: Mapping[str, str]) -> None:
        rs = self._find_active(arn, region)
        merged = {**self.tagger.get_tag_dict_for_resource(rs.arn), **tags}
        if len(merged) > MAX_TAGS:
            raise ServiceQuotaExceededException(
                f"A resource can have at most {MAX_TAGS} tags; "
                f"this request would make {len(merged)}"
            )
        self.tagger.tag_resource(
            rs.arn, [{"key": k, "value": v} for k, v in tags.items()]
        )

    def untag_resource(self, region: str, arn: str, tag_keys: list[str]) -> None:
        rs = self._find_active(arn, region)
        self.tagger.untag_resource_using_names(rs.arn, tag_keys)

    def list_tags_for_resource(self, region: str, arn: str) -> dict[str, str]:
        return self.tagger.get_tag_dict_for_resource(self._find(arn, region).arn)


ssmincidents_backends = BackendDict(
    SsmIncidentsBackend,
    "ssm-incidents",
    use_boto3_regions=False,
    additional_regions=PARTITION_NAMES,
)
