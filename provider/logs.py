"""The provider's log lines: JSON in ASCII, each at most ``MAX_LOG_LINE`` bytes, and never a
presigned credential.

Every module logs through Powertools' logger of the service: ``logger`` here, or a module's
own ``Logger(service=SERVICE, child=True)``, which writes through it. The sources are bounded
(event fields cut to 256 characters, a URL to ``responder.LOGGED_URL``, an error's text to
``responder.LOGGED_ERROR``); ``bounded_json`` is the net under them, for a line that would
still be longer (a deep traceback, an extra key nobody cut): its longest strings are cut,
their start and end kept, and it stays one JSON object. Libraries' loggers (crhelper's) get
``RedactUrls``, which redacts and bounds each record's text and traceback before their own
formatter sees them.

Why 8 KiB: a line the provider means to write (a Reason of CloudFormation's 4 KB, a traceback
of the provider's own frames) fits it, while a forged event of megabytes cannot turn into
megabytes of CloudWatch Logs (ingestion is paid per byte, and Logs cuts events at 256 KB
anyway, leaving a line that is no longer JSON).

Powertools configures a service's logger once: the first ``Logger(service=SERVICE)`` built in
the process sets its handler and formatter, and a later one shares them.

    >>> len(bounded_json({"message": "x" * 5_000_000})) <= MAX_LOG_LINE
    True
"""

import json
import logging
from collections.abc import Mapping
from typing import Any, TextIO, cast

from aws_lambda_powertools import Logger

from .responder import clip, redact_text
from .settings import SERVICE

#: The longest log line the provider writes, in bytes (its lines are ASCII).
MAX_LOG_LINE = 8 * 1024
#: A library record's text and traceback, in bytes of JSON: with the fields its formatter
#: adds (time, level, location), within MAX_LOG_LINE.
LOGGED_MESSAGE = 2 * 1024
LOGGED_TRACEBACK = 4 * 1024
#: How hard each try cuts a line that is too long: every string to so many bytes of JSON,
#: every list or object to so many items, nothing nested deeper than so many levels.
CUTS = ((3072, 64, 4), (1024, 16, 3), (256, 8, 2))
#: What a line keeps when even the hardest cut leaves it too long (a thousand extra keys).
KEPT_KEYS = (
    "level",
    "location",
    "message",
    "timestamp",
    "service",
    "function_request_id",
    "RequestType",
    "StackId",
    "LogicalResourceId",
    "RequestId",
)
#: Where a cut line says how long it was.
CUT_KEY = "log_line_cut_from"


def _dumps(value: Any) -> str:
    """JSON in ASCII: Powertools' default (ensure_ascii=False) writes any text as is, and a
    lone surrogate in an event would fail the UTF-8 write of every line of that request."""
    return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=True)


def bounded_json(log: Mapping[str, Any]) -> str:
    """``log`` as one JSON line of at most ``MAX_LOG_LINE`` bytes: whole when it fits, else
    with its strings, lists and objects cut ever shorter until it does, and the line's
    length before the cut under ``log_line_cut_from``."""
    line = _dumps(log)
    if len(line) <= MAX_LOG_LINE:
        return line
    for room, items, depth in CUTS:
        fields = {
            clip(str(key), room): _shorten(item, room, items, depth) for key, item in log.items()
        }
        cut = _dumps({**fields, CUT_KEY: len(line)})
        if len(cut) <= MAX_LOG_LINE:
            return cut
    kept = {key: clip(str(log[key]), 256) for key in KEPT_KEYS if key in log}
    kept["message"] = clip(str(log.get("message", "")), LOGGED_MESSAGE)
    return _dumps({**kept, CUT_KEY: len(line)})


def _shorten(value: Any, room: int, items: int, depth: int) -> Any:
    """``value`` with each string within ``room`` bytes of JSON, each list or object within
    ``items`` items (a note counts the rest), and nothing nested past ``depth`` levels."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return clip(value, room)
    if not isinstance(value, Mapping | list | tuple):
        return clip(str(value), room)
    if depth <= 0:
        return f"<{type(value).__name__} of {len(value)} items, cut>"
    if isinstance(value, Mapping):
        entries = list(value.items())
        kept = {
            clip(str(key), room): _shorten(item, room, items, depth - 1)
            for key, item in entries[:items]
        }
        return {**kept, "...": f"{len(entries) - items} more"} if len(entries) > items else kept
    shown = [_shorten(item, room, items, depth - 1) for item in value[:items]]
    return [*shown, f"... {len(value) - items} more"] if len(value) > items else shown


logger = Logger(service=SERVICE, json_serializer=bounded_json)  # level: POWERTOOLS_LOG_LEVEL


def send_logs_to(stream: TextIO) -> TextIO:
    """Send the provider's JSON log lines to ``stream`` (Lambda's is stdout); the previous
    stream comes back, for a host that runs the handler elsewhere to restore."""
    handler = cast(logging.StreamHandler[TextIO], logger.registered_handler)
    previous = handler.setStream(stream)
    return previous if previous is not None else stream


def log_formatter() -> logging.Formatter:
    """The formatter of the provider's JSON lines, for a host that captures them."""
    return logger.registered_formatter


class RedactUrls(logging.Filter):
    """For a library's logger (crhelper's): cut query strings (presigned credentials) out of
    each record's text and traceback, and bound both, so that whatever formatter writes the
    record keeps within ``MAX_LOG_LINE``."""

    _tracebacks = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = clip(redact_text(record.getMessage()), LOGGED_MESSAGE)
        record.args = ()
        if record.exc_info and not record.exc_text:  # formatters use exc_text when it is set
            traceback = self._tracebacks.formatException(record.exc_info)
            record.exc_text = clip(redact_text(traceback), LOGGED_TRACEBACK)
        return True
