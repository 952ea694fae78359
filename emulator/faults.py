"""Call counts and injected errors: the test controls' state, kept at an edge of the emulator
(botocore's hooks in-process, a WSGI middleware in server mode), never in its backend.

A fault answers as the service would have, with the error's code, status and members from the
service model, so botocore parses, retries and raises it as it would AWS's answer; the backend
never sees the call.
"""

import json
import threading
from collections import Counter, deque
from dataclasses import dataclass, field

from .operations import declared_errors, error_status, operation_names

#: Members the model requires beyond the message (the service's own values).
_ERROR_MEMBERS = {
    "ThrottlingException": {"serviceCode": "ssm-incidents", "quotaCode": "requests-per-second"},
    "ServiceQuotaExceededException": {
        "serviceCode": "ssm-incidents",
        "quotaCode": "replication-sets-per-account",
    },
}


@dataclass
class Fault:
    operation: str
    code: str
    message: str
    remaining: int
    skip: int = 0  # calls to let through before failing

    def response(self) -> tuple[int, dict[str, str], bytes]:
        """The HTTP answer (status, headers, body) of the service failing with this error."""
        body = {"message": self.message, **_ERROR_MEMBERS.get(self.code, {})}
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": self.code}
        return error_status(self.code), headers, json.dumps(body).encode()


@dataclass
class Faults:
    """One edge's counts of ssm-incidents calls and its queue of injected errors."""

    calls: Counter[str] = field(default_factory=Counter)
    #: False while a test makes its own checks: those calls neither count nor meet a fault
    counting: bool = True
    queued: dict[str, deque[Fault]] = field(default_factory=dict)
    #: the server's request threads share one Faults
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def inject(
        self,
        operation: str,
        code: str,
        *,
        count: int = 1,
        message: str | None = None,
        after: int = 0,
    ) -> None:
        """Make ``count`` calls of ``operation`` fail with the error ``code``, after letting the
        next ``after`` calls through (``after=1``: the second call fails). Only an error the
        service model declares for the operation can be injected."""
        if operation not in operation_names():
            raise ValueError(f"unknown ssm-incidents operation {operation!r}")
        if code not in declared_errors(operation):
            raise ValueError(
                f"cannot inject {code!r}: {operation} answers only "
                f"{sorted(declared_errors(operation))} (the service model)"
            )
        if count < 1 or after < 0:
            raise ValueError("count must be at least 1 and after not negative")
        text = message or f"Injected {code} for {operation}"
        with self.lock:
            self.queued.setdefault(operation, deque()).append(
                Fault(operation, code, text, count, after)
            )

    def on_call(self, operation: str) -> Fault | None:
        """Count the call; return the fault it meets, if any."""
        if not self.counting:
            return None
        with self.lock:
            self.calls[operation] += 1
            queue = self.queued.get(operation)
            if not queue:
                return None
            fault = queue[0]
            if fault.skip > 0:
                fault.skip -= 1
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            return fault

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.queued.clear()
            self.counting = True
