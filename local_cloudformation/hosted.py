"""Stacks kept by the emulator server, so that `stack deploy`, `update` and `delete` can be
separate commands: the server holds the stacks, moto's state and the provider; each command
posts one operation and prints the events the server streams back as they happen.
"""

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .engine import Cloud, NoChanges, Stack, format_event
from .template import TemplateError

PATH = "/_local/stacks"
#: The statuses in which an operation did what was asked (the command exits 0).
SUCCEEDED = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "UNCHANGED", "REVIEW_IN_PROGRESS"}
)
StartResponse = Callable[..., Any]


class StackService:
    """A WSGI endpoint that runs one stack operation at a time and streams its events."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.stacks: dict[str, Stack] = {}
        self._one_at_a_time = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            request = json.loads(environ["wsgi.input"].read(length))
        except ValueError:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"ERROR the request body is not JSON\n"]
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return self._stream(request)

    def _stream(self, request: dict[str, Any]) -> Iterator[bytes]:
        lines: queue.Queue[str | None] = queue.Queue()

        def work() -> None:
            with self._one_at_a_time:
                self.cloud.on_event = lambda event: lines.put(format_event(event))
                try:
                    lines.put(f"STATUS {self.operate(request, lines.put)}")
                except NoChanges as unchanged:
                    lines.put(str(unchanged))
                    lines.put("STATUS UNCHANGED")
                except (TemplateError, KeyError) as error:
                    lines.put(f"ERROR {error}")
                except Exception as error:
                    lines.put(f"ERROR {type(error).__name__}: {error}")
                finally:
                    lines.put(None)

        threading.Thread(target=work, daemon=True).start()
        while (line := lines.get()) is not None:
            yield f"{line}\n".encode()

    def _check_region(self, region: object) -> None:
        if region and region != self.cloud.region:
            raise TemplateError(
                f"This server runs stacks in {self.cloud.region}, not {region}: run the "
                "command without --endpoint-url to deploy in another Region"
            )

    @staticmethod
    def _preview(
        stack: Stack,
        request: dict[str, Any],
        parameters: dict[str, str],
        say: Callable[[str], None],
    ) -> str:
        for line in stack.preview(request["template"], parameters):
            say(line)
        return "REVIEW_IN_PROGRESS"

    def operate(self, request: dict[str, Any], say: Callable[[str], None]) -> str:
        """Run one operation; ``say`` prints a line to the caller. Returns the stack status."""
        operation, name = request.get("operation"), str(request.get("stack", ""))
        parameters = {str(k): str(v) for k, v in (request.get("parameters") or {}).items()}
        stack = self.stacks.get(name)
        self._check_region(request.get("region"))
        if operation == "preview":  # deploy --no-execute-changeset: what would change
            return self._preview(stack or Stack(name, self.cloud), request, parameters, say)
        if operation == "deploy":  # as `aws cloudformation deploy`: create, or update
            operation = "update" if stack is not None else "create"
        if operation == "delete" and stack is None:
            return "DELETE_COMPLETE"  # as delete-stack: a stack that is not there is no error
        if operation == "create":
            if stack is not None:
                raise TemplateError(f"Stack [{name}] already exists ({stack.status})")
            stack = Stack(name, self.cloud)
            status = stack.create(request["template"], parameters)  # refused: nothing kept
            self.stacks[name] = stack
        elif stack is None:
            raise TemplateError(f"Stack with id {name} does not exist")
        elif operation == "update":
            status = stack.update(request["template"], parameters)
        elif operation == "delete":
            status = stack.delete([str(r) for r in request.get("retain") or []])
        elif operation == "describe":
            status, lines = stack.status, stack.describe()
            for line in lines:
                say(line)
        else:
            raise TemplateError(f"unknown operation {operation!r}")
        return self._ended(stack, operation, status, say)

    def _ended(
        self, stack: Stack, operation: object, status: str, say: Callable[[str], None]
    ) -> str:
        if operation != "describe" and status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            for line in stack.output_lines():
                say(line)
        if status == "DELETE_COMPLETE":
            del self.stacks[stack.name]
        return status
