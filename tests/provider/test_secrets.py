"""The leak check (tests/conftest.py) can see a leak: the guard is not vacuous."""

import logging

import pytest

from local_cloudformation.protocol import SECRET_QUERY
from provider.logs import RedactUrls
from tests.conftest import SECRET_KEY, leaked_secrets
from tests.provider.conftest import Stack


def test_the_leak_check_finds_a_presigned_query_and_credentials() -> None:
    line = f"PUT https://b.s3.amazonaws.com/k?{SECRET_QUERY} with {SECRET_KEY}"
    assert leaked_secrets(line) == [
        "X-Amz-Signature",
        "X-Amz-Credential",
        "AKIAIOSFODNN7EXAMPLE",
        SECRET_KEY,
    ]
    assert leaked_secrets("PUT https://b.s3.amazonaws.com/k?<redacted>") == []


def test_crhelper_stays_quiet_at_debug_even_if_the_root_logger_is_verbose(stack: Stack) -> None:
    logging.getLogger().setLevel(logging.DEBUG)  # crhelper's own default; the leak check watches
    assert stack.create({"Regions": []})["Status"] == "FAILED"


def test_crhelper_logger_redacts_query_strings(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("crhelper.test-redaction")
    logger.addFilter(RedactUrls())
    with caplog.at_level(logging.WARNING):
        logger.warning(
            "CFN response URL: https://bucket.s3.amazonaws.com/k?X-Amz-Signature=abc&X-Amz-Credential=AKIA"
        )
    assert caplog.messages == ["CFN response URL: https://bucket.s3.amazonaws.com/k?<redacted>"]
