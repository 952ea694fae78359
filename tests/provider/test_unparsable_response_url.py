"""A ResponseURL that Python's URL parser rejects (issue 25): the handler raises nothing, sends
nothing, and its log says it refused the URL."""

from collections.abc import Callable
from typing import Any

import pytest

from emulator import control
from tests.provider.conftest import CapturedLogs, Stack
from tests.provider.test_create import ONE_REGION

#: Region removals play no part here: one reading of the assumed 24-hour rule is enough.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

#: urlsplit raises ValueError on each: an unclosed IPv6 bracket, a bracketed non-address.
UNPARSABLE = ["https://[x/k", "https://[evil]/k", "https://[evil]/k?X-Amz-Signature=s"]
#: A malformed event (answered on the handler's own path) and a well-formed one (through
#: crhelper, refused for its properties).
EVENTS: dict[str, Callable[[Stack], dict[str, Any]]] = {
    "malformed": lambda stack: {**stack.event("Create", ONE_REGION), "RequestType": "Replace"},
    "well-formed": lambda stack: stack.event("Create", {"Regions": []}),
}


@pytest.mark.parametrize("kind", sorted(EVENTS))
@pytest.mark.parametrize("url", UNPARSABLE)
def test_an_unparsable_response_url_is_refused_without_an_exception(
    stack: Stack, logs: CapturedLogs, url: str, kind: str
) -> None:
    event: dict[str, Any] = {**EVENTS[kind](stack), "ResponseURL": url}
    stack.invoke(event)  # an exception: Lambda logs it, and nothing says why
    assert stack.endpoint.attempts == 0 and control.call_counts() == {}
    refusals = [line for line in logs.json_lines() if line["message"].startswith("refusing")]
    assert [line["message"] for line in refusals] == [
        f"refusing to send the response to {url.partition('?')[0]}: not an S3 response URL"
    ]
    assert "Traceback" not in logs.everything.getvalue()
