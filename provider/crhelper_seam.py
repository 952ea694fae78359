"""crhelper, the provider's entry point, with the one seam the provider needs: how it answers.

crhelper runs the function registered for the request type (``create``/``update``/``delete``,
its public registration) under its timer, which answers FAILED ("Execution timed out") half a
second before Lambda's limit. It answers every request through its private ``_send``: after the
registered function with no status, and on its own with FAILED (its timer, or an error of its
own). That one method is overridden here to hand the answer to the provider, which sends what
the step came to, once (crhelper's own sender retries forever and counts any HTTP status as
delivered). ``tests/provider/test_crhelper_seam.py`` runs crhelper's own code and fails if it
stops answering so (crhelper 2.0.x, the pinned range).

crhelper also dispatches on keys of the event (``CrHelperPoll`` selects its polling functions,
``CrHelperData`` its Data...): the request parser refuses any event carrying them
(``provider.request.CRHELPER_KEYS``), so crhelper never sees one.
"""

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import CfnResource

Step = Callable[[], None]
#: What crhelper's answer hands over: None after the registered function; crhelper's own
#: FAILED reason when it answers on its own.
Answer = Callable[[str | None], None]


class CrhelperSeam(CfnResource):
    """crhelper's CfnResource, built once per container, answering through ``answer``."""

    def __init__(self, log_filter: logging.Filter) -> None:
        # WARNING: at crhelper's default DEBUG it logs whole events, ResponseURL included.
        # sleep_on_delete=0: crhelper otherwise waits 120 s before answering every Delete.
        # AWS_SAM_LOCAL, while crhelper builds itself: it then skips the lambda, events and logs
        # clients of its polling (100 ms of the first request), which this provider does not
        # use; with no poll function registered, crhelper reads the flag for nothing else.
        previous = os.environ.get("AWS_SAM_LOCAL")
        os.environ["AWS_SAM_LOCAL"] = "true"
        try:
            super().__init__(log_level="WARNING", boto_level="WARNING", sleep_on_delete=0)
        finally:
            if previous is None:
                del os.environ["AWS_SAM_LOCAL"]
            else:
                os.environ["AWS_SAM_LOCAL"] = previous
        for name in ("crhelper", "crhelper.resource_helper", "crhelper.utils"):
            logging.getLogger(name).setLevel(logging.WARNING)
            logging.getLogger(name).addFilter(log_filter)
        self._step: Step = _nothing
        self._answer: Answer = _nowhere
        self.create(self._registered)
        self.update(self._registered)
        self.delete(self._registered)

    def run(
        self, event: Mapping[str, Any], context: LambdaContext, step: Step, answer: Answer
    ) -> None:
        """One invocation: crhelper runs ``step`` under its timer, then calls ``answer``."""
        self._step, self._answer = step, answer
        self(dict(event), context)

    def _registered(self, event: dict[str, Any], context: LambdaContext) -> None:
        self._step()

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        self._answer(reason if status is not None else None)


def _nothing() -> None:
    """No step before the first invocation."""


def _nowhere(reason: str | None) -> None:
    """No answer before the first invocation."""
