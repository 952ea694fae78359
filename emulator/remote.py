"""The test controls of an emulator server (``python -m emulator serve``), over HTTP: what a
test, the benchmarks or a shell script use against a server in another process::

    from emulator.remote import Controls

    server = Controls("http://127.0.0.1:5000")
    server.inject_fault("UpdateReplicationSet", "ThrottlingException", count=2)
    server.call_counts()["UpdateReplicationSet"]
    server.set_transition_seconds(3)

The same with curl: ``curl -X POST $URL/emulator-api/faults -d '{"operation":
"UpdateReplicationSet", "code": "ThrottlingException", "count": 2}'``.
"""

import json
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from .ssmincidents.models import TRANSITION_MODEL


class Controls:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.endpoint}{path}", data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                text = answer.read()
        except urllib.error.HTTPError as error:
            raise ValueError(json.loads(error.read() or b"{}").get("message", str(error))) from None
        return json.loads(text) if text else {}

    def inject_fault(
        self,
        operation: str,
        code: str,
        *,
        count: int = 1,
        message: str | None = None,
        after: int = 0,
    ) -> None:
        asked: dict[str, Any] = {"operation": operation, "code": code, "count": count}
        asked.update(after=after, **({"message": message} if message else {}))
        self._send("POST", "/emulator-api/faults", asked)

    def clear_faults(self) -> None:
        self._send("DELETE", "/emulator-api/faults")

    def call_counts(self) -> Counter[str]:
        return Counter(self._send("GET", "/emulator-api/calls")["calls"])

    def reset_call_counts(self) -> None:
        self._send("DELETE", "/emulator-api/calls")

    def reset(self) -> None:
        """moto's reset of every service, which clears the faults and counts too."""
        self._send("POST", "/moto-api/reset")

    def set_transition_seconds(self, seconds: float) -> None:
        """moto's own state manager API: "time" progression, or "immediate" for 0."""
        transition: dict[str, Any] = (
            {"progression": "time", "seconds": seconds} if seconds else {"progression": "immediate"}
        )
        self._send(
            "POST",
            "/moto-api/state-manager/set-transition",
            {"model_name": TRANSITION_MODEL, "transition": transition},
        )
