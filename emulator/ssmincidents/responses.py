"""Translates ssm-incidents requests into backend calls and results back into the wire format.

moto parses each request against botocore's service model (``automated_parameter_parsing``)
and serializes each :class:`ActionResult` with it, so status codes (201, 204) and shapes are
the model's own. Every request is checked against the model's input constraints before the
backend looks anything up (:func:`validation.check_input`), and the backend learns the Region
the request was made in, since a replication set answers only in its own Regions.
"""

import re
from typing import Any

from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.utils import get_service_model

from . import validation
from .models import SsmIncidentsBackend, ssmincidents_backends


class SsmIncidentsResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="ssm-incidents")
        self.automated_parameter_parsing = True

    @property
    def ssmincidents_backend(self) -> SsmIncidentsBackend:
        return ssmincidents_backends[self.current_account][self.partition]

    def _get_action_from_method_and_request_uri(self, request: Any) -> str:
        """moto's router matches required query members as part of the route, so a request
        without one (``GetReplicationSet`` without ``arn``) matched nothing and was an empty
        404. AWS routes on method and path and then answers ``ValidationException`` for the
        missing member (botocore's model: the member is required; ``_checked`` says which)."""
        found = super()._get_action_from_method_and_request_uri(request)
        if found or not (by_path := operation_by_path(request.method, request.path)):
            return found
        name, self.uri_match = by_path
        return name

    def _checked(self, operation: str) -> SsmIncidentsBackend:
        """The backend, once the request's input has passed the model's constraints."""
        shape = validation.service_model().operation_model(operation).input_shape
        members = shape.members if shape else {}
        params: dict[str, Any] = {
            name: None if self._absent_from_query(member) else self._get_param(name)
            for name, member in members.items()
        }
        validation.check_input(operation, params)
        return self.ssmincidents_backend

    def _absent_from_query(self, member: Any) -> bool:
        """A query-string member the request left out is null, as AWS reports it (moto's
        parser makes an absent list member an empty list: "0 items")."""
        where = member.serialization
        return (
            where.get("location") == "querystring"
            and where["name"] not in self.querystring
        )

    def create_replication_set(self) -> ActionResult:
        backend = self._checked("CreateReplicationSet")
        arn = backend.create_replication_set(
            self.region,
            regions=self._get_param("regions"),
            tags=self._get_param("tags"),
            client_token=self._get_param("clientToken"),
        )
        return ActionResult({"arn": arn})

    def get_replication_set(self) -> ActionResult:
        rs = self._checked("GetReplicationSet").get_replication_set(
            self.region, self._get_param("arn")
        )
        return ActionResult({"replicationSet": rs.to_dict()})

    def list_replication_sets(self) -> ActionResult:
        sets, next_token = self._checked("ListReplicationSets").list_replication_sets(
            max_results=self._get_param("maxResults"),
            next_token=self._get_param("nextToken"),
        )
        result: dict[str, object] = {"replicationSetArns": [rs.arn for rs in sets]}
        if next_token:
            result["nextToken"] = next_token
        return ActionResult(result)

    def update_replication_set(self) -> ActionResult:
        backend = self._checked("UpdateReplicationSet")
        backend.update_replication_set(
            self.region, self._get_param("arn"), self._get_param("actions")
        )
        return EmptyResult()

    def update_deletion_protection(self) -> ActionResult:
        backend = self._checked("UpdateDeletionProtection")
        backend.update_deletion_protection(
            self.region, self._get_param("arn"), self._get_param("deletionProtected")
        )
        return EmptyResult()

    def delete_replication_set(self) -> ActionResult:
        self._checked("DeleteReplicationSet").delete_replication_set(
            self.region, self._get_param("arn")
        )
        return EmptyResult()

    def tag_resource(self) -> ActionResult:
        backend = self._checked("TagResource")
        backend.tag_resource(
            self.region, self._get_param("resourceArn"), self._get_param("tags")
        )
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        backend = self._checked("UntagResource")
        backend.untag_resource(
            self.region, self._get_param("resourceArn"), self._get_param("tagKeys")
        )
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        tags = self._checked("ListTagsForResource").list_tags_for_resource(
            self.region, self._get_param("resourceArn")
        )
        return ActionResult({"tags": tags})


def operation_by_path(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The model's operation for ``method`` and ``path``, ignoring the query string, with its
    path labels (``{resourceArn}`` takes the rest of the path, as moto's router does)."""
    model = get_service_model("ssm-incidents")
    for name in model.operation_names:
        http = model.operation_model(name).http
        route = http["requestUri"].split("?", 1)[0]
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+)", re.escape(route))
        if http["method"] == method and (match := re.fullmatch(pattern, path)):
            return name, match.groupdict()
    return None
