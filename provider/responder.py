"""Sending the response to CloudFormation: bounded, checked, small, and never logging secrets.

crhelper 2.0.12 retries its PUT forever and counts any HTTP status as delivered; this sender
tries a bounded number of times, treats 5xx and connection errors as retryable and 4xx as
final, and keeps the body under CloudFormation's 4 KB limit. The ResponseURL's query string is
a presigned credential, so only its scheme, host and path are ever logged, cut to
``LOGGED_URL`` bytes: an event may carry megabytes there.
"""

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from itertools import accumulate, takewhile
from typing import Any

from aws_lambda_powertools import Logger

from .response_url import allowed
from .settings import RESPONSE_TIMEOUT_SECONDS, SERVICE

MAX_BODY_BYTES = 4096
#: The most of a URL a log line shows, in bytes of JSON (a CloudFormation ResponseURL's
#: scheme, host and path take about 300).
LOGGED_URL = 512
#: The most of an error's text a log line shows, in bytes of JSON.
LOGGED_ERROR = 1024

log = Logger(service=SERVICE, child=True)


def redact(url: str) -> str:
    """The URL as a log line shows it: without its query string and fragment (the presigned
    signature and credentials), within ``LOGGED_URL``. String operations only: a URL that
    urlsplit refuses (``https://[x/k``) is shown all the same, never raised on.

        >>> redact("https://b.s3.amazonaws.com/k?X-Amz-Signature=0#f")
        'https://b.s3.amazonaws.com/k'
    """
    return clip(url.partition("?")[0].partition("#")[0], LOGGED_URL)


#: A query string wherever it appears (a URL with or without its scheme: http.client's
#: InvalidURL quotes the path alone), and any X-Amz-* parameter on its own. Linear: no
#: pattern here can backtrack.
QUERY = re.compile(r"\?[^\s'\"]+")
#: A presigned parameter standing alone (SigV4's X-Amz-*, SigV2's Signature and
#: AWSAccessKeyId); the name's length is bounded, so a long run of names cannot backtrack.
PRESIGNED_PARAMETER = re.compile(
    r"(?:X-Amz-[A-Za-z-]{0,40}|Signature|AWSAccessKeyId)=[^&\s'\"]*", re.IGNORECASE
)


def redact_text(text: str) -> str:
    """``text`` with every query string and presigned parameter cut out."""
    return PRESIGNED_PARAMETER.sub("<redacted>", QUERY.sub("?<redacted>", text))


def fit(body: dict[str, Any]) -> bytes:
    """Serialize the response within CloudFormation's 4 KB: the Reason is cut (by its encoded
    length: JSON writes a non-ASCII character as up to 12 bytes). The rest always leaves room
    for it: the request rules bound the identity to 3.5 KB of JSON, a malformed event's to
    2.5 KB (``provider.request``), and Data holds at most the set's ARN."""
    encoded = json.dumps(body).encode()
    if len(encoded) <= MAX_BODY_BYTES:
        return encoded
    shell = {**body, "Reason": ""}
    room = MAX_BODY_BYTES - len(json.dumps(shell).encode()) - len(TRUNCATED)
    reason = json_prefix(str(body.get("Reason", "")), room) + TRUNCATED
    return json.dumps({**shell, "Reason": reason}).encode()


TRUNCATED = " [truncated]"


def clip(text: str, room: int) -> str:
    """``text`` within ``room`` bytes of JSON: whole when it fits, else its start and its end
    (a traceback's end names the error) around a note of its length. Linear in ``room``,
    whatever the length of ``text``.

        >>> clip("a" * 100 + "z", 40)
        'aaaaaa ...[101 characters cut]... aaaaaz'
    """
    if len(text) <= room and len(json.dumps(text)) - 2 <= room:
        return text
    note = f" ...[{len(text)} characters cut]... "
    half = max(room - len(note), 0) // 2
    head = json_prefix(text, half)
    tail = json_prefix(text[len(text) - half :][::-1], half)[::-1]
    return head + note + tail


def json_prefix(text: str, room: int) -> str:
    """The longest start of ``text`` whose JSON encoding (quotes left out) fits ``room`` bytes;
    linear: each character's encoded size is counted once."""
    sizes = accumulate(len(json.dumps(character)) - 2 for character in text)
    return text[: sum(1 for _ in takewhile(lambda size: size <= room, sizes))]


def send(
    url: str,
    body: dict[str, Any],
    *,
    extra_origins: Iterable[str] = (),
    attempts: int = 4,
    timeout: float = RESPONSE_TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """PUT the response; True once CloudFormation's endpoint accepted it (2xx)."""
    where = redact(url)
    if not allowed(url, extra_origins, os.environ.get("AWS_REGION", "")):
        log.error("refusing to send the response to %s: not an S3 response URL", where)
        return False
    data = fit(body)
    request = urllib.request.Request(
        url, data=data, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(data))}
    )
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                log.info("sent %s response to %s (HTTP %s)", body["Status"], where, answer.status)
                return True
        except urllib.error.HTTPError as error:
            if error.code < 500:
                log.error("%s refused the response with HTTP %s; not retrying", where, error.code)
                return False
            problem = f"HTTP {error.code}"
        except (OSError, http.client.HTTPException, ValueError) as error:
            # OSError covers URLError and timeouts; http.client's own errors (BadStatusLine,
            # IncompleteRead, InvalidURL) are no OSError, and urllib's ValueError (a bad URL):
            # each is retried and given up on the same way, never let out.
            problem = clip(redact_text(f"{type(error).__name__}: {error}"), LOGGED_ERROR)
        log.warning(
            "sending the response to %s failed (%s), attempt %d/%d",
            where,
            problem,
            attempt,
            attempts,
        )
        if attempt < attempts:
            sleep(min(2.0 ** (attempt - 1), 8.0))
    log.error("gave up sending the response to %s after %d attempts", where, attempts)
    return False
