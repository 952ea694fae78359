"""Translates ssm-incidents requests into backend calls and results back into the wire format.

moto parses each request against botocore's service model (``automated_parameter_parsing``)
and serializes each :class:`ActionResult` with it, so status codes (201, 204) and shapes are
the model's own. Every request is checked against the model's input constraints before the
backend looks anything up (:func:`validation.check_input`), and the backend learns the Region
the request was made in, since a replication set answers only in its own Regions.
"""

from typing import Any

from moto.core.responses import ActionResult, BaseResponse, EmptyResult

from . import validation
from .models import SsmIncidentsBackend, ssmincidents_backends


class SsmIncidentsResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="ssm-incidents")
        self.automated_parameter_parsing = True

    @property
    def ssmincidents_backend(self) -> SsmIncidentsBackend:
        return ssmincidents_backends[self.current_account][self.partition]

    def _checked(self, operation: str) -> SsmIncidentsBackend:
        """The backend, once the request's input has passed the model's constraints."""
        shape = validation.service_model().operation_model(operation).input_shape
        members = shape.members if shape else {}
        params: dict[str, Any] = {name: self._get_param(name) for name in members}
        validation.check_input(operation, params)
        return self.ssmincidents_backend

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
