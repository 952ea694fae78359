"""What the test controls know of ssm-incidents, read from botocore's service model: the
operations, the errors each declares, and how to tell an operation from its HTTP request."""

import re
from functools import cache

from .ssmincidents.validation import service_model

#: The calls that change a replication set; the rest only read.
MUTATING_OPERATIONS = frozenset(
    {
        "CreateReplicationSet",
        "UpdateReplicationSet",
        "DeleteReplicationSet",
        "UpdateDeletionProtection",
        "TagResource",
        "UntagResource",
    }
)


def operation_names() -> frozenset[str]:
    return frozenset(service_model().operation_names)


def declared_errors(operation: str) -> frozenset[str]:
    """The error codes the service model declares for ``operation``."""
    model = service_model().operation_model(operation)
    return frozenset(shape.name for shape in model.error_shapes)


def error_status(code: str) -> int:
    """The HTTP status the model gives the error ``code``."""
    status: int = service_model().shape_for(code).metadata["error"]["httpStatusCode"]
    return status


def method_name(operation: str) -> str:
    """moto's name for an operation's handler: CreateReplicationSet -> create_replication_set."""
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


def implemented_operations() -> frozenset[str]:
    """The operations the emulator's responses.py handles (the rest of the model is not)."""
    from .ssmincidents.responses import SsmIncidentsResponse  # noqa: PLC0415

    return frozenset(
        op for op in operation_names() if hasattr(SsmIncidentsResponse, method_name(op))
    )


@cache
def _request_uris() -> list[tuple[str, re.Pattern[str], str]]:
    found = []
    model = service_model()
    for operation in model.operation_names:
        http = model.operation_model(operation).http
        path = re.sub(r"\{(\w+)\+?\}", r"[^?]+", http["requestUri"].split("?")[0])
        found.append((operation, re.compile(path), http["method"]))
    return found


def operation_of(method: str, path: str) -> str | None:
    """The operation an HTTP request to ssm-incidents calls (None: none of the model's)."""
    for operation, pattern, http_method in _request_uris():
        if method == http_method and pattern.fullmatch(path):
            return operation
    return None
