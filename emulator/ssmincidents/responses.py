"""Translates ssm-incidents requests into backend calls and results back into the wire format.

moto parses each request against botocore's service model (``automated_parameter_parsing``)
and serializes each :class:`ActionResult` with it, so status codes (201, 204) and shapes are
the model's own.
"""

from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.utilities.utils import get_partition

from .models import SsmIncidentsBackend, ssmincidents_backends


class SsmIncidentsResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="ssm-incidents")
        self.automated_parameter_parsing = True

    def _begin(self) -> SsmIncidentsBackend:
        """The account's backend, after counting this call and raising any injected fault."""
        backend: SsmIncidentsBackend = ssmincidents_backends[self.current_account][
            get_partition(self.region)
        ]
        backend.observe(self._get_action())
        return backend

    def create_replication_set(self) -> ActionResult:
        arn = self._begin().create_replication_set(
            regions=self._get_param("regions"),
            tags=self._get_param("tags"),
            client_token=self._get_param("clientToken"),
        )
        return ActionResult({"arn": arn})

    def get_replication_set(self) -> ActionResult:
        rs = self._begin().get_replication_set(self._get_param("arn"))
        return ActionResult({"replicationSet": rs.to_dict()})

    def list_replication_sets(self) -> ActionResult:
        arns, next_token = self._begin().list_replication_sets(
            max_results=self._get_param("maxResults"), next_token=self._get_param("nextToken")
        )
        result: dict[str, object] = {"replicationSetArns": arns}
        if next_token:
            result["nextToken"] = next_token
        return ActionResult(result)

    def update_replication_set(self) -> ActionResult:
        self._begin().update_replication_set(
            arn=self._get_param("arn"),
            actions=self._get_param("actions"),
            client_token=self._get_param("clientToken"),
        )
        return EmptyResult()

    def update_deletion_protection(self) -> ActionResult:
        self._begin().update_deletion_protection(
            arn=self._get_param("arn"),
            deletion_protected=self._get_param("deletionProtected"),
            client_token=self._get_param("clientToken"),
        )
        return EmptyResult()

    def delete_replication_set(self) -> ActionResult:
        self._begin().delete_replication_set(self._get_param("arn"))
        return EmptyResult()

    def tag_resource(self) -> ActionResult:
        self._begin().tag_resource(self._get_param("resourceArn"), self._get_param("tags"))
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        self._begin().untag_resource(self._get_param("resourceArn"), self._get_param("tagKeys"))
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        tags = self._begin().list_tags_for_resource(self._get_param("resourceArn"))
        return ActionResult({"tags": tags})
