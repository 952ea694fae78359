"""The one place the provider leans on crhelper's internals: how crhelper answers, and which
keys of an event it dispatches on.

``provider.crhelper_seam.CrhelperSeam`` overrides ``CfnResource._send``, trusting that crhelper
2.0.x answers every request through it: with no status after the registered function, and with
FAILED on its own (its timer). The request parser refuses every key crhelper reads from an
event. If crhelper changes either, these tests fail before a stack meets it.
"""

import inspect
import re
from pathlib import Path
from typing import Any, cast

import crhelper.resource_helper
from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import CfnResource

from local_cloudformation.protocol import FakeContext, RealClock
from provider.crhelper_seam import CrhelperSeam
from provider.logs import RedactUrls
from provider.request import CRHELPER_KEYS


class Recording(CfnResource):
    def __init__(self) -> None:
        super().__init__(log_level="WARNING", sleep_on_delete=0, polling_interval=1)
        self.sent: list[tuple[str | None, str]] = []

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        self.sent.append((status, reason))


EVENT = {
    "RequestType": "Create",
    "RequestId": "r",
    "ResponseURL": "https://example.invalid/x",
    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/g",
    "LogicalResourceId": "L",
    "ResourceProperties": {},
}


def test_crhelpers_send_keeps_the_signature_the_override_has() -> None:
    send = CfnResource._send  # type: ignore[attr-defined]
    parameters = list(inspect.signature(send).parameters)
    assert parameters == ["self", "status", "reason", "send_response"]


def test_crhelper_answers_once_through_send_after_the_registered_function() -> None:
    helper, called = Recording(), []
    helper.create(lambda event, context: called.append(event["RequestId"]))
    helper(EVENT, cast(LambdaContext, FakeContext(RealClock())))
    assert called == ["r"]
    assert helper.sent == [(None, "")]


def test_crhelpers_timer_answers_failed_through_send() -> None:
    helper = Recording()
    helper.create(lambda event, context: None)
    helper(EVENT, cast(LambdaContext, FakeContext(RealClock())))
    helper._timeout()  # type: ignore[attr-defined]  # crhelper's timer calls it at the limit
    assert helper.sent[-1] == ("FAILED", "Execution timed out")


def test_crhelpers_dispatch_keys_are_exactly_those_the_parser_refuses() -> None:
    """crhelper's own code names the keys it reads from an event: each is refused."""
    source = Path(crhelper.resource_helper.__file__).read_text()
    assert set(re.findall(r"""['"](CrHelper\w+)['"]""", source)) == set(CRHELPER_KEYS)


def test_the_seam_runs_the_step_then_hands_crhelpers_answer_over() -> None:
    seam, calls = CrhelperSeam(RedactUrls()), []
    seam.run(
        EVENT,
        cast(LambdaContext, FakeContext(RealClock())),
        step=lambda: calls.append("step"),
        answer=lambda reason: calls.append(f"answer {reason}"),
    )
    assert calls == ["step", "answer None"]
    seam._timeout()  # type: ignore[attr-defined]  # crhelper's timer at Lambda's limit
    assert calls[-1] == "answer Execution timed out"
