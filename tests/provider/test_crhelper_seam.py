"""The one place the provider leans on crhelper's internals: how crhelper answers.

``provider.app.Provider`` overrides ``CfnResource._send``, trusting that crhelper 2.0.x answers
every request through it: with no status after the registered function, and with FAILED on its
own (its timer). If crhelper changes that, these tests fail before a stack meets it.
"""

import inspect
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import CfnResource

from local_cloudformation.protocol import FakeContext, RealClock


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
