"""The edge to KMS: DescribeKey, in the Region the key is given for, and nothing else.

The provider describes customer managed keys itself (``kms:DescribeKey``) so that a key
Incident Manager would refuse fails the request before any change, with the reason. KMS
throttles ``DescribeKey`` under an account-wide request quota shared with every other use of
KMS, so within a request's budget (:meth:`KmsApi.within`) throttling, 5xx answers and lost
connections are waited out as Incident Manager's are (``provider.waiting``).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from .errors import ServiceFailure
from .keys import KeyFacts
from .waiting import Budget, patiently

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


class KmsApi:
    def __init__(
        self, client_for: Callable[[str], "KMSClient"], budget: Budget | None = None
    ) -> None:
        self._client_for = client_for
        self._budget = budget

    def within(self, budget: Budget) -> "KmsApi":
        """The same API (its clients shared) whose reads wait out throttling, 5xx answers and
        lost connections within ``budget``, as :meth:`IncidentsApi.within
        <provider.incidents.IncidentsApi.within>` does."""
        return KmsApi(self._client_for, budget)

    def describe(self, region: str, key: str) -> KeyFacts | None:
        """What KMS says of ``key`` in ``region``; None when it has no such key there."""
        try:
            found = patiently(
                lambda: self._client_for(region).describe_key(KeyId=key)["KeyMetadata"],
                self._budget,
                operation=f"DescribeKey of {key} in {region}",
                service="KMS",
                mutating=False,
            )
        except ClientError as error:
            code = error.response["Error"].get("Code", "Unknown")
            if code == "NotFoundException":
                return None
            message = error.response["Error"].get("Message", "")
            advice = " (grant kms:DescribeKey to the provider's role)" if "Denied" in code else ""
            raise ServiceFailure(
                f"DescribeKey of {key} in {region} failed with {code}: {message}{advice}", code=code
            ) from error
        except BotoCoreError as error:
            raise ServiceFailure(f"DescribeKey could not reach KMS in {region}: {error}") from error
        return KeyFacts(
            arn=found["Arn"],
            state=found.get("KeyState", "Unknown"),
            spec=found.get("KeySpec", "SYMMETRIC_DEFAULT"),
            usage=found.get("KeyUsage", "ENCRYPT_DECRYPT"),
            origin=found.get("Origin", "AWS_KMS"),
            manager=found.get("KeyManager", "CUSTOMER"),
        )
