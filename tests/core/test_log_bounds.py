"""The net under every log line (provider/logs.py): whatever a record holds, the line written is
one JSON object of at most MAX_LOG_LINE bytes, which keeps what a reader needs first."""

import json
import logging
import sys

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from crhelper.log_helper import JsonFormatter

from provider.logs import CUT_KEY, MAX_LOG_LINE, RedactUrls, bounded_json

FIVE_MIB = 5 * 1024 * 1024
KEYS = {"level": "ERROR", "service": "incident-replication-set-provider", "RequestId": "r-1"}


def record(message: str, error: BaseException | None = None) -> logging.LogRecord:
    """A record as ``logger.exception`` makes it: with the error being handled."""
    exc_info = (type(error), error, error.__traceback__) if error else None
    return logging.LogRecord("crhelper.utils", logging.ERROR, "f.py", 1, message, (), exc_info)


def raised(message: str) -> BaseException:
    try:
        raise ValueError(message)
    except ValueError:
        return sys.exc_info()[1]  # type: ignore[return-value]


@pytest.mark.parametrize(
    "log",
    [
        {**KEYS, "message": "m" * FIVE_MIB},
        {**KEYS, "message": "\U0001f600" * FIVE_MIB},  # 12 bytes each in ASCII JSON
        {**KEYS, "message": "m", "exception": "Traceback\n" + "  frame\n" * FIVE_MIB + "E: end"},
        {**KEYS, "message": "m", "reason": {"Regions": [{"RegionName": "x" * 9000}] * 20_000}},
        {**KEYS, "message": "m", **{f"extra{i}": "v" * 100 for i in range(20_000)}},
        {**KEYS, "message": "m", "k" * FIVE_MIB: "a key of 5 MiB"},
    ],
    ids=["message", "non-ascii", "traceback", "nested", "many keys", "long key"],
)
def test_a_line_of_megabytes_is_cut_to_the_bound_and_stays_json(log: dict[str, object]) -> None:
    line = bounded_json(log)
    assert len(line.encode()) <= MAX_LOG_LINE and line.isascii()
    written = json.loads(line)
    assert {key: written[key] for key in KEYS} == KEYS  # who logged, and for which request
    assert written[CUT_KEY] > MAX_LOG_LINE
    assert str(written["message"]).startswith(str(log["message"])[:10])


def test_a_cut_traceback_keeps_its_start_and_the_error_at_its_end() -> None:
    traceback = "Traceback (most recent call last):\n" + "  frame\n" * FIVE_MIB + "E: the error"
    written = json.loads(bounded_json({**KEYS, "message": "m", "exception": traceback}))
    assert written["exception"].startswith("Traceback (most recent call last):")
    assert written["exception"].endswith("E: the error")
    assert f"[{len(traceback)} characters cut]" in written["exception"]


def test_a_line_within_the_bound_is_written_whole() -> None:
    log = {**KEYS, "message": "m" * (MAX_LOG_LINE - 200), "lone": "\udc80"}
    assert json.loads(bounded_json(log)) == log


def test_the_powertools_formatter_with_the_net_bounds_a_logged_exception() -> None:
    formatter = LambdaPowertoolsFormatter(json_serializer=bounded_json)
    line = formatter.format(record("m" * FIVE_MIB, raised("e" * FIVE_MIB)))
    assert len(line) <= MAX_LOG_LINE
    assert json.loads(line)["exception"].endswith("e" * 100)


def test_a_library_record_of_megabytes_is_redacted_and_bounded_before_its_formatter() -> None:
    """crhelper's own JSON formatter (and Lambda's plain one) write what RedactUrls leaves."""
    secret = "https://b.s3.amazonaws.com/k?X-Amz-Signature=SECRETSIG"
    logged = record(f"{secret} " + "m" * FIVE_MIB, raised(f"{secret} " + "e" * FIVE_MIB))
    assert RedactUrls().filter(logged)
    for formatter in (JsonFormatter(), logging.Formatter("%(name)s %(message)s")):
        line = formatter.format(logged)
        assert len(line.encode()) <= MAX_LOG_LINE
        assert "SECRETSIG" not in line and "X-Amz-Signature" not in line
    assert json.loads(JsonFormatter().format(logged))["exception"].endswith("e" * 100)
