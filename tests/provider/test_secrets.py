"""The leak check (tests/conftest.py) can see a leak: the guard is not vacuous."""

import logging

import pytest

from local_cloudformation.protocol import SECRET_QUERY
from provider.logs import RedactUrls
from provider.responder import redact_text, send
from tests.conftest import SECRET_KEY, leaked_secrets
from tests.provider.conftest import CapturedLogs, Stack


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


#: Presigned parameters as they may reach a log: in any case, and alone (no "?" before them:
#: http.client quotes a path, botocore or urllib an error's text).
STANDING_ALONE = [
    "x-amz-signature=SECRETSIG",
    "reason: X-AMZ-SIGNATURE=SECRETSIG&x-amz-credential=SECRETSIG%2F20240101",
    "put failed for /bucket/k&x-Amz-Security-Token=SECRETSIG",
    "signature=SECRETSIG&awsaccesskeyid=SECRETSIG",
]


@pytest.mark.parametrize("text", STANDING_ALONE)
def test_a_presigned_parameter_in_any_case_is_redacted_without_a_query(text: str) -> None:
    assert "SECRETSIG" not in redact_text(text)
    assert "<redacted>" in redact_text(text)


@pytest.mark.parametrize("text", STANDING_ALONE)
def test_a_librarys_log_line_loses_a_presigned_parameter_in_any_case(
    caplog: pytest.LogCaptureFixture, text: str
) -> None:
    logger = logging.getLogger("crhelper.test-case-redaction")
    logger.addFilter(RedactUrls())
    with caplog.at_level(logging.WARNING):
        logger.warning("sending failed: %s", text)
    [message] = caplog.messages
    assert "SECRETSIG" not in message and message.startswith("sending failed: ")


def test_a_failed_delivery_logs_no_presigned_parameter_in_any_case(
    monkeypatch: pytest.MonkeyPatch, logs: CapturedLogs
) -> None:
    """What a reader of the provider's logs sees when the PUT fails with the URL's parameters
    in its error, lower case and with no "?" before them."""

    def refuse(request: object, timeout: float) -> None:
        raise OSError("connection reset while sending x-amz-signature=SECRETSIG&x-amz-date=1")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    url = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k?X-Amz-Signature=SECRETSIG"
    assert not send(url, {"Status": "FAILED"}, attempts=2, sleep=lambda _: None)
    written = logs.provider.getvalue() + logs.everything.getvalue()
    assert "failed (OSError: connection reset while sending <redacted>" in written
    assert "SECRETSIG" not in written
