"""Translates ssm-incidents requests into backend calls and results back into the wire format.

moto parses each request against botocore's service model (``automated_parameter_parsing``)
and serializes each :class:`ActionResult` with it, so status codes (201, 204) and shapes are
the model's own. Every request is checked against the model's input constraints before the
backend looks anything up (:func:`validation.check_input`), and the backend learns the Region
the request was made in, since a replication set answers only in its own Regions.
"""

import re
from functools import cache
from typing import Any
from urllib.parse import unquote

from moto.core.exceptions import ServiceException
from moto.core.responses import TYPE_RESPONSE, ActionResult, BaseResponse, EmptyResult  # type: ignore[attr-defined]
from moto.utilities.utils import get_partition

from . import validation
from .models import SsmIncidentsBackend, ssmincidents_backends


def declared_errors(operation: str) -> frozenset[str]:
    """The error codes the service model declares for ``operation``."""
    model = validation.service_model().operation_model(operation)
    return frozenset(shape.name for shape in model.error_shapes)


class SsmIncidentsResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="ssm-incidents")
        self.automated_parameter_parsing = True

    def _get_action(self) -> str:
        """moto's router, and a fallback for a request that lacks a required query member:
        moto's router then matches no operation (an empty 404), where the service answers
        ValidationException naming the member."""
        found = super()._get_action()
        if found:
            return found
        method, path = self.normalized_request.method, self.normalized_request.path
        for operation, pattern, http_method in _request_uris():
            match = pattern.fullmatch(path)
            if match and method == http_method:
                self.uri_match = {k: unquote(v) for k, v in match.groupdict().items()}
                return operation
        return found

    def serialized(self, action_result: ActionResult) -> TYPE_RESPONSE:
        """moto's serializer, refusing to send an error the model does not declare for the
        operation: the emulator must not teach the provider errors AWS never sends."""
        error = action_result.result
        if isinstance(error, ServiceException):
            operation = self._get_action()
            if error.code not in declared_errors(operation):
                raise AssertionError(
                    f"emulator bug: {operation} raised {error.code}, which the service "
                    f"model does not declare ({sorted(declared_errors(operation))})"
                )
        return super().serialized(action_result)

    def _begin(self) -> SsmIncidentsBackend:
        """The account's backend, once the call has started there (hooks of the test
        controls) and its input was checked against the service model."""
        backend: SsmIncidentsBackend = ssmincidents_backends[self.current_account][
            get_partition(self.region)
        ]
        operation = self._get_action()
        backend.start_call(operation)
        validation.check_input(operation, self._sent_params(operation))
        return backend

    def _sent_params(self, operation: str) -> dict[str, Any]:
        """The members the request carried: moto's parser turns a list absent from the query
        string into [], which would hide a missing required member."""
        params = {**self.params, **(self.uri_match or {})}
        shape = validation.service_model().operation_model(operation).input_shape
        for name, member in (shape.members if shape else {}).items():
            where = member.serialization
            if where.get("location") == "querystring" and where["name"] not in self.querystring:
                params.pop(name, None)
        return params

    def create_replication_set(self) -> ActionResult:
        backend = self._begin()
        arn = backend.create_replication_set(
            self.region,
            regions=self._get_param("regions"),
            tags=self._get_param("tags"),
            client_token=self._get_param("clientToken"),
        )
        return ActionResult({"arn": arn})

    def get_replication_set(self) -> ActionResult:
        rs = self._begin().get_replication_set(self.region, self._get_param("arn"))
        return ActionResult({"replicationSet": rs.to_dict()})

    def list_replication_sets(self) -> ActionResult:
        sets, next_token = self._begin().list_replication_sets(
            max_results=self._get_param("maxResults"), next_token=self._get_param("nextToken")
        )
        result: dict[str, object] = {"replicationSetArns": [rs.arn for rs in sets]}
        if next_token:
            result["nextToken"] = next_token
        return ActionResult(result)

    def update_replication_set(self) -> ActionResult:
        backend = self._begin()
        backend.update_replication_set(
            self.region, self._get_param("arn"), self._get_param("actions")
        )
        return EmptyResult()

    def update_deletion_protection(self) -> ActionResult:
        backend = self._begin()
        backend.update_deletion_protection(
            self.region, self._get_param("arn"), self._get_param("deletionProtected")
        )
        return EmptyResult()

    def delete_replication_set(self) -> ActionResult:
        self._begin().delete_replication_set(self.region, self._get_param("arn"))
        return EmptyResult()

    def tag_resource(self) -> ActionResult:
        backend = self._begin()
        backend.tag_resource(self.region, self._get_param("resourceArn"), self._get_param("tags"))
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        backend = self._begin()
        backend.untag_resource(
            self.region, self._get_param("resourceArn"), self._get_param("tagKeys")
        )
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        tags = self._begin().list_tags_for_resource(self.region, self._get_param("resourceArn"))
        return ActionResult({"tags": tags})


@cache
def _request_uris() -> list[tuple[str, re.Pattern[str], str]]:
    """(operation, path pattern, HTTP method) of every operation, from the service model."""
    found = []
    model = validation.service_model()
    for operation in model.operation_names:
        http = model.operation_model(operation).http
        path = re.sub(r"\{(\w+)\+?\}", r"(?P<\1>.+)", http["requestUri"].split("?")[0])
        found.append((operation, re.compile(path), http["method"]))
    return found


def _method_name(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


#: The ssm-incidents operations this emulator implements (the rest of the model is not).
IMPLEMENTED_OPERATIONS = frozenset(
    operation
    for operation in validation.service_model().operation_names
    if hasattr(SsmIncidentsResponse, _method_name(operation))
)
