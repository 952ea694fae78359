"""The provider's own records, in the DynamoDB table ``PROVIDER_IDEMPOTENCY_TABLE`` creates
(template.yaml: key ``id``, on-demand, TTL on ``expiration``).

Two kinds of item:

- **One per delivery step**, by Powertools' idempotency utility: the key is the request's
  RequestId and the step (0: CloudFormation's event; n: the n-th continuation). The first
  delivery of a step runs it and stores what it came to (the response body, or the state a
  continuation needs); any later delivery of that step gets the stored result back and runs
  nothing; a delivery while the step runs is refused (``InProgress``). Records live
  ``RECORD_SECONDS``: CloudFormation waits at most an hour for an answer, and Lambda keeps an
  asynchronous event for up to six hours, so a late duplicate still finds its record.
- **Notes of one resource about the set**, ``note#...`` (``provider.stewards``): what an
  adoption replaced, kept for its rollback; an Update refused to a resource that no longer
  manages the set, so that its rollback succeeds. They expire as the step records do.

Who manages the set is not kept here but on the set itself (``provider.ownership``): a table is
one deployment's, in one Region, and losing it must never change who manages the set. Every
item the provider writes expires (``expiration``, DynamoDB's TTL attribute).

When the table cannot be reached the request is answered FAILED before anything changes
(``RecordsUnavailable``): acting without a record could repeat an effect, and saying nothing
would leave CloudFormation waiting an hour.
"""

import json
import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from .errors import ProviderError
from .outcome import Outcome, from_json, to_json
from .settings import SERVICE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: 24 hours: past CloudFormation's longest wait (1 h) and Lambda's longest event age (6 h).
RECORD_SECONDS = 24 * 3600
#: Every step record's key starts so (Powertools' key_prefix): ``request#<md5 of the step>``.
KEY_PREFIX = "request"
NOTE_PREFIX = "note#"
#: Where versions before the manager moved onto the set kept it (``provider.stewards.inherit``).
LEGACY_PREFIX = "owner#"

log = Logger(service=SERVICE, child=True)
Result = dict[str, Any]


class RecordsUnavailable(ProviderError):
    """The table could not be read or written: nothing may change without a record."""


class InProgress(Exception):
    """Another invocation is running this very step: this delivery does nothing."""


@dataclass(frozen=True)
class Step:
    """One delivery step of a request: CloudFormation's event (0) or a continuation (1...)."""

    request_id: str
    number: int = 0

    @property
    def key(self) -> dict[str, Any]:
        return {"RequestId": self.request_id, "Step": self.number}


def _run(step: dict[str, Any], work: Callable[[], Result]) -> Result:
    """What Powertools records: the work's result, under ``step``'s key."""
    return work()


@dataclass(frozen=True)
class Ran:
    """A step's outcome, and how this delivery came by it."""

    outcome: Outcome
    fresh: bool  # this invocation ran the step (not a repeated delivery reading its record)
    recorded: bool  # the outcome is the step's record


class AlreadyRecorded(Exception):
    """The step's record was completed already (by this invocation's other thread)."""


def _completed_once(layer_type: type) -> type:
    """Powertools' DynamoDB layer, whose writes after the in-progress one are conditional: a
    completed record is never overwritten nor deleted, whoever writes (crhelper's timer and
    the step itself race for it; a forged delivery must not replace what CloudFormation's own
    request came to). ``_update_record`` and ``_delete_record`` are the methods Powertools'
    "bring your own persistence layer" asks a layer to implement; the condition is all that
    changes (tests/provider/test_records.py checks them against Powertools' own)."""

    class CompletedOnce(layer_type):  # type: ignore[misc]
        def _update_record(self, data_record: Any) -> None:
            self.client.update_item(
                TableName=self.table_name,
                Key=self._get_key(data_record.idempotency_key),
                UpdateExpression="SET #data = :data, #expiry = :expiry, #status = :status",
                ConditionExpression="#status = :running",
                ExpressionAttributeNames={
                    "#data": self.data_attr,
                    "#expiry": self.expiry_attr,
                    "#status": self.status_attr,
                },
                ExpressionAttributeValues={
                    ":data": {"S": data_record.response_data},
                    ":expiry": {"N": str(data_record.expiry_timestamp)},
                    ":status": {"S": data_record.status},
                    ":running": {"S": "INPROGRESS"},
                },
            )

        def _delete_record(self, data_record: Any) -> None:
            self.client.delete_item(
                TableName=self.table_name,
                Key=self._get_key(data_record.idempotency_key),
                ConditionExpression="#status = :running",
                ExpressionAttributeNames={"#status": self.status_attr},
                ExpressionAttributeValues={":running": {"S": "INPROGRESS"}},
            )

    return CompletedOnce


class Notes:
    """One resource's notes in the table (``note#...``), and what an earlier version kept."""

    def __init__(self, table: str, client: "DynamoDBClient") -> None:
        self.table, self.client = table, client

    # -- what an adoption replaced, what a refusal refused ------------------------------------

    def keep(self, key: str, data: Mapping[str, Any]) -> None:
        """Store ``data`` under ``key`` for ``RECORD_SECONDS`` (DynamoDB's TTL removes it)."""
        item = {
            "id": {"S": f"{NOTE_PREFIX}{key}"},
            "data": {"S": json.dumps(data, sort_keys=True, separators=(",", ":"))},
            "expiration": {"N": str(int(time.time()) + RECORD_SECONDS)},
        }
        try:
            self.client.put_item(TableName=self.table, Item=item)
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from error

    def recall(self, key: str) -> dict[str, Any] | None:
        """What ``keep`` stored under ``key``, unless it expired (TTL removes items late)."""
        try:
            item = self.client.get_item(
                TableName=self.table, Key={"id": {"S": f"{NOTE_PREFIX}{key}"}}, ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from error
        if not item or int(item.get("expiration", {}).get("N", "0")) <= time.time():
            return None
        try:
            data = json.loads(item["data"]["S"])
        except (KeyError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def drop(self, key: str) -> None:
        try:
            self.client.delete_item(TableName=self.table, Key={"id": {"S": f"{NOTE_PREFIX}{key}"}})
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from error

    # -- what an earlier version kept -------------------------------------------------------

    def legacy_line(self, arn: str) -> list[tuple[str, str]] | None:
        """The line of managers an earlier version kept here (``owner#ARN``: StackId and
        logical ID pairs, oldest first); None when there is none."""
        try:
            item = self.client.get_item(
                TableName=self.table, Key={"id": {"S": LEGACY_PREFIX + arn}}, ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from error
        if not item:
            return None
        return [
            (entry["M"]["stack_id"]["S"], entry["M"]["logical_id"]["S"])
            for entry in item.get("owners", {}).get("L", [])
        ]

    def forget_legacy(self, arn: str) -> None:
        """Remove the earlier version's line once the set carries it (it never expired)."""
        try:
            self.client.delete_item(TableName=self.table, Key={"id": {"S": LEGACY_PREFIX + arn}})
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from error

    def _unavailable(self, error: Exception, *, unchanged: bool = False) -> RecordsUnavailable:
        """The failure to answer with; ``unchanged``: the request had not started (its first
        step's record could not be made), which the Reason then says."""
        cause = error.__cause__ if error.__cause__ is not None else error
        detail = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
        return RecordsUnavailable(
            f"The provider could not use its records table {self.table} ({detail})"
            + ("; nothing was changed. " if unchanged else ". ")
            + "Check that the table exists and that the provider's role may use it, then retry "
            "the stack operation."
        )


class Records(Notes):
    """The table's step records (Powertools' idempotency) and notes, through one DynamoDB
    client (built by the runtime with bounded timeouts)."""

    def __init__(self, table: str, client: "DynamoDBClient") -> None:
        super().__init__(table, client)
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415 - first use
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        self.config = IdempotencyConfig(expires_after_seconds=RECORD_SECONDS)
        self.layer = _completed_once(DynamoDBPersistenceLayer)(
            table_name=table, boto3_client=client
        )
        self.layer.configure(self.config, key_prefix=KEY_PREFIX)
        self._once = idempotent_function(
            data_keyword_argument="step",
            persistence_store=self.layer,
            config=self.config,
            key_prefix=KEY_PREFIX,
        )(_run)

    # -- delivery steps ------------------------------------------------------------------------

    def once(self, step: Step, work: Callable[[], Outcome]) -> Ran:
        """Run ``work`` for ``step`` unless a delivery already did.

        The in-progress record does not expire with the invocation (no Lambda context is
        registered): a step whose invocation ended without its result recorded is never run
        again by a late delivery; it lives out the record's 24 hours instead. ``work`` must
        not raise: Powertools would delete the in-progress record, and a later delivery would
        run the step again.
        """
        from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
        )

        disabled = os.environ.get("POWERTOOLS_IDEMPOTENCY_DISABLED", "").strip().lower()
        if disabled not in ("", "0", "false", "f", "n", "no", "off"):  # any value Powertools
            # may read as true, or cannot read at all: either way it is not "on"
            raise RecordsUnavailable(
                "POWERTOOLS_IDEMPOTENCY_DISABLED is set on the provider function: it cannot "
                "tell a repeated delivery from a new request. Remove the variable."
            )
        outcomes: list[Outcome] = []

        def tracked() -> Result:
            outcomes.append(work())
            return to_json(outcomes[-1])

        try:
            with warnings.catch_warnings():  # "Couldn't determine the remaining time": by design
                warnings.filterwarnings("ignore", "Couldn't determine the remaining time")
                stored = self._once(step=step.key, work=tracked)
        except IdempotencyAlreadyInProgressError:
            raise InProgress(step) from None
        except IdempotencyPersistenceLayerError as error:
            if not outcomes:
                raise self._unavailable(error, unchanged=step.number == 0) from error
            if _conditional_check_failed(error):  # crhelper's timer recorded first
                raise AlreadyRecorded(step) from None
            # The work ran; only its record failed. Try once more, then say so.
            try:
                self.complete(step, outcomes[-1])
            except RecordsUnavailable:
                log.error("could not record the step's result", extra={"error": str(error)})
                return Ran(outcomes[-1], fresh=True, recorded=False)
            return Ran(outcomes[-1], fresh=True, recorded=True)
        if outcomes:
            return Ran(outcomes[-1], fresh=True, recorded=True)
        outcome = from_json(stored)
        if outcome is None:
            raise RecordsUnavailable(
                f"The record of this request's step {step.number} in the records table "
                f"{self.table} is not one the provider writes; nothing was changed. See "
                "the provider's logs."
            )
        return Ran(outcome, fresh=False, recorded=True)

    def read(self, step: Step) -> Outcome | None:
        """The outcome of a finished ``step``; None when there is none (yet)."""
        from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415
            IdempotencyItemNotFoundError,
        )

        try:
            record = self.layer.get_record(data=step.key)
        except IdempotencyItemNotFoundError:
            return None
        except Exception as error:
            raise self._unavailable(error) from error
        if record is None or record.status != "COMPLETED":
            return None
        return from_json(record.response_json_as_dict())

    def complete(self, step: Step, outcome: Outcome) -> None:
        """Store ``outcome`` as ``step``'s while the step is in progress (crhelper's timer
        answering for it); AlreadyRecorded when the step's own result is there first."""
        try:
            self.layer.save_success(data=step.key, result=to_json(outcome))
        except Exception as error:
            if _conditional_check_failed(error):
                raise AlreadyRecorded(step) from None
            raise self._unavailable(error) from error


def _conditional_check_failed(error: BaseException | None) -> bool:
    """Whether ``error``, or what caused it, is DynamoDB refusing a conditional write."""
    while error is not None:
        if isinstance(error, ClientError):
            return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
        error = error.__cause__
    return False
