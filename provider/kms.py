"""The edge to KMS: DescribeKey, in the Region the key is given for, and nothing else.

The provider describes customer managed keys itself (``kms:DescribeKey``) so that a key
Incident Manager would refuse fails the request before any change, with the reason.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from .errors import ServiceFailure
from .keys import KeyFacts

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


class KmsApi:
    def __init__(self, client_for: Callable[[str], "KMSClient"]) -> None:
        self._client_for = client_for

    def describe(self, region: str, key: str) -> KeyFacts | None:
        """What KMS says of ``key`` in ``region``; None when it has no such key there."""
        try:
            found = self._client_for(region).describe_key(KeyId=key)["KeyMetadata"]
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
