"""Assert on errors the way a boto3 user sees them: code, HTTP status, message."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from botocore.exceptions import ClientError


@contextmanager
def raises_aws(
    code: str, status: int, *fragments: str
) -> Iterator[pytest.ExceptionInfo[ClientError]]:
    """Expect a ClientError with this code and status whose message holds every fragment."""
    with pytest.raises(ClientError) as caught:
        yield caught
    error = caught.value.response["Error"]
    assert error["Code"] == code, f"expected {code}, boto3 raised {error}"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    for fragment in fragments:
        assert fragment in error["Message"], f"{fragment!r} not in {error['Message']!r}"
