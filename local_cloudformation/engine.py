"""CloudFormation's stack lifecycle, as far as templates of custom resources need it.

Create (with ROLLBACK on failure), update (with UPDATE_ROLLBACK on failure, and the cleanup
phase that deletes replaced and removed resources) and delete, each emitting the events the
CloudFormation console shows. Custom resources get real-shaped events through ``invoke`` and
their answer is what the provider PUT to the ResponseURL; AWS resources go to moto through
:mod:`local_cloudformation.resolver`. Only what a consumer stack of this provider meets is modelled:
no change sets, no nested stacks, no transforms, one resource at a time.
"""

import re
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .protocol import ResponseEndpoint, make_event
from .resolver import CustomResource, Placeholder, Resolver
from .template import Template, TemplateError, creation_order, references, validate

Invoke = Callable[[dict[str, Any]], dict[str, Any]]  # an event -> the response CloudFormation got
#: Marks an answer CloudFormation made itself: the request never reached a provider.
NOT_SENT = "NotSentToAProvider"
#: CloudFormation's answer to a custom resource whose ServiceToken an update changes.
SERVICE_TOKEN_CHANGED = "Modifying service token is not allowed."
UPDATABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})


@dataclass(frozen=True)
class StackEvent:
    timestamp: datetime
    stack_name: str
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""


def format_event(event: StackEvent) -> str:
    """One event as the CloudFormation console lists it."""
    line = (
        f"{event.timestamp:%Y-%m-%d %H:%M:%S} UTC  {event.logical_id:<22} "
        f"{event.resource_type:<32} {event.status:<44}"
    )
    return f"{line} {event.reason}".rstrip()


@dataclass
class Resource:
    logical_id: str
    definition: Template
    properties: dict[str, Any]  # resolved
    handle: Any  # CustomResource, a moto model or a Placeholder

    @property
    def resource_type(self) -> str:
        return str(self.definition["Type"])

    @property
    def physical_id(self) -> str:
        return str(self.handle.physical_resource_id)

    @property
    def custom(self) -> bool:
        return is_custom(self.resource_type)


class NoChanges(Exception):
    """An update that would change nothing: `aws cloudformation deploy` says so and exits 0."""


class ResourceFailed(Exception):
    def __init__(self, logical_id: str, reason: str) -> None:
        super().__init__(reason)
        self.logical_id, self.reason = logical_id, reason


def check_parameters(template: Template, given: Mapping[str, str]) -> None:
    """Refuse parameters as CloudFormation does: unknown ones, and required ones not given."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TemplateError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    missing = sorted(
        name for name, spec in declared.items() if "Default" not in spec and name not in given
    )
    if missing:
        raise TemplateError(f"Parameters: [{', '.join(missing)}] must have values")
    for name, value in sorted(given.items()):  # as CloudFormation checks a value it is given
        spec = declared[name]
        allowed = [str(v) for v in spec.get("AllowedValues") or []]
        if allowed and value not in allowed:
            raise TemplateError(
                f"Parameter '{name}' must be one of AllowedValues: {', '.join(allowed)}"
            )
        pattern = spec.get("AllowedPattern")
        if pattern and not re.fullmatch(str(pattern), value):
            raise TemplateError(
                f"Parameter '{name}' must match pattern {pattern}"
                + (f" ({spec['ConstraintDescription']})" if "ConstraintDescription" in spec else "")
            )


def is_custom(resource_type: str) -> bool:
    return (
        resource_type.startswith("Custom::")
        or resource_type == "AWS::CloudFormation::CustomResource"
    )


@dataclass
class Cloud:
    """One account and Region where stacks run, with CloudFormation's bucket and the provider
    deployments (functions) its stacks can name: ServiceToken -> the function."""

    providers: dict[str, Invoke]
    endpoint: ResponseEndpoint
    on_event: Callable[[StackEvent], None]
    account_id: str = "123456789012"
    region: str = "us-east-1"
    exports: dict[str, str] = field(default_factory=dict)


class Stack:
    def __init__(self, name: str, cloud: Cloud) -> None:
        self.name = name
        self.cloud = cloud
        self.stack_id = (
            f"arn:aws:cloudformation:{cloud.region}:{cloud.account_id}:stack/{name}/{uuid.uuid4()}"
        )
        self.status = "REVIEW_IN_PROGRESS"
        self.template: Template = {"Resources": {}}
        self.parameters: dict[str, str] = {}
        self.resources: dict[str, Resource] = {}
        self.outputs: dict[str, Any] = {}
        self.exported: list[str] = []
        self.events: list[StackEvent] = []

    # -- the three stack operations --------------------------------------------------------

    def create(self, template_text: str, parameters: Mapping[str, str]) -> str:
        if self.status != "REVIEW_IN_PROGRESS":
            raise TemplateError(f"Stack [{self.name}] already exists")
        template = validate(template_text, self.cloud.region)
        check_parameters(template, parameters)
        resolver = self._resolver(template, parameters)
        self._stack_event("CREATE_IN_PROGRESS", "User Initiated")
        try:
            for logical_id in creation_order(template):
                self._create(resolver, template, logical_id)
        except ResourceFailed as failure:
            self._stack_event(
                "ROLLBACK_IN_PROGRESS",
                f"The following resource(s) failed to create: [{failure.logical_id}]. "
                "Rollback requested by user.",
            )
            failed = self._delete_all(resolver)
            if failed:
                self._stack_event(
                    "ROLLBACK_FAILED", f"The following resource(s) failed to delete: [{failed}]."
                )
                return self.status
            self._stack_event("ROLLBACK_COMPLETE")
            return self.status
        self.template, self.parameters = template, dict(parameters)
        self._publish_outputs(resolver)
        self._stack_event("CREATE_COMPLETE")
        return self.status

    def update(self, template_text: str, parameters: Mapping[str, str]) -> str:
        if self.status not in UPDATABLE:
            raise TemplateError(
                f"Stack:{self.stack_id} is in {self.status} state and can not be updated."
            )
        template, parameters = self._next(template_text, parameters)
        if (template, parameters) == (self.template, self.parameters):
            raise NoChanges(f"No changes to deploy. Stack {self.name} is up to date")
        resolver = self._resolver(template, parameters)
        self._stack_event("UPDATE_IN_PROGRESS", "User Initiated")
        before = dict(self.resources)
        attempted: list[tuple[str, dict[str, Any]]] = []  # (logical id, properties tried)
        created: list[str] = []
        try:
            for logical_id in creation_order(template):
                definition = template["Resources"][logical_id]
                if not resolver.condition(definition.get("Condition")):
                    continue
                if logical_id not in self.resources:
                    created.append(logical_id)
                    self._create(resolver, template, logical_id)
                else:
                    self._update(resolver, definition, logical_id, attempted)
        except ResourceFailed as failure:
            self._roll_back_update(failure, before, attempted, created)
            return self.status
        self._stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        for old in before.values():
            replacement = self.resources.get(old.logical_id)
            if replacement is not None and replacement.physical_id != old.physical_id:
                self._delete(old, replaced=True)
        self._remove_absent(template, resolver)
        self.template, self.parameters = template, dict(parameters)
        self._publish_outputs(resolver)
        self._stack_event("UPDATE_COMPLETE")
        return self.status

    def _next(
        self, template_text: str, given: Mapping[str, str]
    ) -> tuple[Template, dict[str, str]]:
        """The template and parameters an update would run with, checked."""
        template = validate(template_text, self.cloud.region)
        # As `aws cloudformation deploy`: a parameter not given keeps its previous value.
        declared = template.get("Parameters") or {}
        parameters = {**{k: v for k, v in self.parameters.items() if k in declared}, **given}
        check_parameters(template, parameters)
        return template, parameters

    def preview(self, template_text: str, given: Mapping[str, str]) -> list[str]:
        """What deploying would change, as a change set lists it, changing nothing
        (`aws cloudformation deploy --no-execute-changeset`)."""
        if self.status == "REVIEW_IN_PROGRESS":
            template = validate(template_text, self.cloud.region)
            check_parameters(template, given)
            old: dict[str, Any] = {}
            changed: set[str] = set()
        else:
            template, parameters = self._next(template_text, given)
            if (template, parameters) == (self.template, self.parameters):
                raise NoChanges(f"No changes to deploy. Stack {self.name} is up to date")
            old = self.template.get("Resources") or {}
            keys = set(parameters) | set(self.parameters)
            changed = {k for k in keys if parameters.get(k) != self.parameters.get(k)}
        new = template.get("Resources") or {}
        lines = [f"{'Action':<8} {'Logical ID':<22} Type"]
        for logical_id, definition in new.items():
            if logical_id not in old:
                lines.append(f"{'Add':<8} {logical_id:<22} {definition.get('Type')}")
            elif old[logical_id] != definition or changed & set(references(definition)):
                # a resource whose definition and referenced parameters are as they were is
                # left alone by the update, so the change set does not list it
                lines.append(f"{'Modify':<8} {logical_id:<22} {definition.get('Type')}")
        for logical_id, definition in old.items():
            if logical_id not in new:
                lines.append(f"{'Remove':<8} {logical_id:<22} {definition.get('Type')}")
        return lines

    def delete(self, retain: Collection[str] = ()) -> str:
        """Delete the stack; ``retain`` (CloudFormation's --retain-resources) names resources to
        leave in place, and is accepted only for a stack in DELETE_FAILED, as CloudFormation
        accepts it."""
        if retain and self.status != "DELETE_FAILED":
            raise TemplateError(
                "Invalid operation on stack: the stack is in "
                f"{self.status} state; resources can be retained only when it is DELETE_FAILED"
            )
        unknown = sorted(set(retain) - set(self.resources))
        if unknown:
            raise TemplateError(f"Resources to retain are not in the stack: {', '.join(unknown)}")
        self._stack_event("DELETE_IN_PROGRESS", "User Initiated")
        for logical_id in retain:
            resource = self.resources.pop(logical_id)
            self._event(logical_id, resource.resource_type, "DELETE_SKIPPED", "Retained by request")
        resolver = self._resolver(self.template, self.parameters)
        failed = self._delete_all(resolver)
        if failed:
            self._stack_event(
                "DELETE_FAILED", f"The following resource(s) failed to delete: [{failed}]."
            )
            return self.status
        for name in self.exported:
            self.cloud.exports.pop(name, None)
        self._stack_event("DELETE_COMPLETE")
        return self.status

    def describe(self) -> list[str]:
        """What `aws cloudformation describe-stacks` and `describe-stack-resources` show."""
        lines = [f"Stack {self.name}: {self.status}", f"  StackId: {self.stack_id}"]
        declared = self.template.get("Parameters") or {}
        values = {  # every parameter, as describe-stacks lists them: defaults included
            name: self.parameters.get(name, str(spec.get("Default", "")))
            for name, spec in declared.items()
        }
        if values:
            lines += ["Parameters:"] + [f"  {k} = {v}" for k, v in sorted(values.items())]
        if self.resources:
            lines += ["Resources:"] + [
                f"  {r.logical_id:<22} {r.resource_type:<32} {r.physical_id}"
                for r in self.resources.values()
            ]
        lines += self.output_lines()
        lines += ["Last events:"] + [f"  {format_event(e)}" for e in self.events[-5:]]
        return lines

    def output_lines(self) -> list[str]:
        exported = {value: name for name, value in self.cloud.exports.items()}
        if not self.outputs:
            return []
        return ["Outputs:"] + [
            f"  {name} = {value}"
            + (f"  (export {exported[value]})" if exported.get(value) in self.exported else "")
            for name, value in self.outputs.items()
        ]

    # -- resources -------------------------------------------------------------------------

    def _create(self, resolver: Resolver, template: Template, logical_id: str) -> None:
        definition = template["Resources"][logical_id]
        if not resolver.condition(definition.get("Condition")):
            return
        kind = definition["Type"]
        self._event(logical_id, kind, "CREATE_IN_PROGRESS")
        note = ""
        try:
            properties = resolver.resolve(definition.get("Properties", {}))
            if is_custom(kind):
                response = self._call("Create", logical_id, kind, properties)
                handle: Any = CustomResource(
                    response["PhysicalResourceId"], response.get("Data") or {}
                )
                if not response.get(NOT_SENT):  # else nothing exists for a rollback to delete
                    self._keep(resolver, Resource(logical_id, definition, properties, handle))
                if response["Status"] != "SUCCESS":
                    raise ResourceFailed(logical_id, response.get("Reason", ""))
            else:
                handle = resolver.create_aws_resource(logical_id, definition)
                self._keep(resolver, Resource(logical_id, definition, properties, handle))
                if isinstance(handle, Placeholder):
                    note = (
                        "Not emulated (moto has no model of this type): recorded with a made-up id"
                    )
        except ResourceFailed as failure:
            self._event(logical_id, kind, "CREATE_FAILED", failure.reason)
            raise
        except Exception as error:  # a template or moto error: the resource fails, as in AWS
            self._event(logical_id, kind, "CREATE_FAILED", str(error))
            raise ResourceFailed(logical_id, str(error)) from error
        self._event(logical_id, kind, "CREATE_COMPLETE", note)

    def _update(
        self,
        resolver: Resolver,
        definition: Template,
        logical_id: str,
        attempted: list[tuple[str, dict[str, Any]]],
    ) -> None:
        current = self.resources[logical_id]
        kind = definition["Type"]
        try:
            properties = resolver.resolve(definition.get("Properties", {}))
        except TemplateError as error:
            self._event(logical_id, kind, "UPDATE_FAILED", str(error))
            raise ResourceFailed(logical_id, str(error)) from error
        if kind != current.resource_type:
            self._event(
                logical_id, kind, "UPDATE_FAILED", "Update of resource type is not permitted"
            )
            raise ResourceFailed(logical_id, "Update of resource type is not permitted")
        if current.custom and properties.get("ServiceToken") != current.properties.get(
            "ServiceToken"
        ):  # CloudFormation's own check: the request never reaches either function
            self._event(logical_id, kind, "UPDATE_FAILED", SERVICE_TOKEN_CHANGED)
            raise ResourceFailed(logical_id, SERVICE_TOKEN_CHANGED)
        if properties == current.properties:
            return
        self._event(logical_id, kind, "UPDATE_IN_PROGRESS")
        attempted.append((logical_id, properties))
        if current.custom:
            response = self._call("Update", logical_id, kind, properties, current=current)
            if response["Status"] != "SUCCESS":
                self._event(logical_id, kind, "UPDATE_FAILED", response.get("Reason", ""))
                raise ResourceFailed(logical_id, response.get("Reason", ""))
            handle: Any = CustomResource(response["PhysicalResourceId"], response.get("Data") or {})
        else:  # moto's models mostly cannot update in place: replace, as CloudFormation may
            handle = resolver.create_aws_resource(logical_id, definition)
        self._keep(resolver, Resource(logical_id, definition, properties, handle))
        reason = "" if handle.physical_resource_id == current.physical_id else (
            "Requested update required the provider to create a new physical resource"
        )  # fmt: skip
        self._event(logical_id, kind, "UPDATE_COMPLETE", reason)

    def _roll_back_update(
        self,
        failure: ResourceFailed,
        before: dict[str, Resource],
        attempted: list[tuple[str, dict[str, Any]]],
        created: list[str],
    ) -> None:
        self._stack_event(
            "UPDATE_ROLLBACK_IN_PROGRESS",
            f"The following resource(s) failed to update: [{failure.logical_id}].",
        )
        resolver = self._resolver(self.template, self.parameters)
        for logical_id, resource in before.items():
            resolver.put(logical_id, resource.handle)
        superseded: list[Resource] = []  # ids the failed update made, that the rollback replaced
        for logical_id, tried in reversed(attempted):
            previous, now = before[logical_id], self.resources[logical_id]
            self._event(logical_id, previous.resource_type, "UPDATE_IN_PROGRESS")
            if previous.custom:
                response = self._call(
                    "Update",
                    logical_id,
                    previous.resource_type,
                    previous.properties,
                    current=now,
                    old_properties=tried,
                )
                if response["Status"] != "SUCCESS":
                    self._event(
                        logical_id,
                        previous.resource_type,
                        "UPDATE_FAILED",
                        response.get("Reason", ""),
                    )
                    self._stack_event("UPDATE_ROLLBACK_FAILED", response.get("Reason", ""))
                    return
                handle: Any = CustomResource(
                    response["PhysicalResourceId"], response.get("Data") or {}
                )
                self.resources[logical_id] = Resource(
                    logical_id, previous.definition, previous.properties, handle
                )
            else:
                self.resources[logical_id] = previous
            if now.physical_id != self.resources[logical_id].physical_id:
                superseded.append(now)
            self._event(logical_id, previous.resource_type, "UPDATE_COMPLETE")
        for logical_id in reversed(created):
            if logical_id in self.resources:
                self._delete(self.resources[logical_id], replaced=False)
        self._stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        for resource in superseded:
            self._delete(resource, replaced=True, resolver=resolver)
        self._stack_event("UPDATE_ROLLBACK_COMPLETE")

    def _remove_absent(self, template: Template, resolver: Resolver) -> None:
        wanted = {
            name
            for name, definition in template["Resources"].items()
            if resolver.condition(definition.get("Condition"))
        }
        order = (
            creation_order(self.template) if self.template["Resources"] else list(self.resources)
        )
        for logical_id in reversed(order):
            if logical_id in self.resources and logical_id not in wanted:
                self._delete(self.resources[logical_id], replaced=False)

    def _delete_all(self, resolver: Resolver) -> str:
        """Delete every resource, last created first, stopping at the first that fails (what
        it depends on must stay); the logical ID that failed, or "" when all went."""
        for logical_id in reversed(list(self.resources)):
            if not self._delete(self.resources[logical_id], replaced=False, resolver=resolver):
                return logical_id
        return ""

    def _delete(
        self, resource: Resource, *, replaced: bool, resolver: Resolver | None = None
    ) -> bool:
        """Delete one resource, unless its policy retains it: UpdateReplacePolicy when it was
        replaced by a new physical resource, DeletionPolicy otherwise."""
        kind, logical_id = resource.resource_type, resource.logical_id
        policy = "UpdateReplacePolicy" if replaced else "DeletionPolicy"
        if resource.definition.get(policy) == "Retain":
            self._event(logical_id, kind, "DELETE_SKIPPED", f"{policy}: Retain")
            if self.resources.get(logical_id) is resource:
                del self.resources[logical_id]
            return True
        self._event(logical_id, kind, "DELETE_IN_PROGRESS")
        if resource.custom:
            response = self._call("Delete", logical_id, kind, resource.properties, current=resource)
            if response["Status"] != "SUCCESS":
                self._event(logical_id, kind, "DELETE_FAILED", response.get("Reason", ""))
                return False
        else:
            (resolver or self._resolver(self.template, self.parameters)).delete_aws_resource(
                resource.handle, resource.definition
            )
        if self.resources.get(logical_id) is resource:
            del self.resources[logical_id]
        self._event(logical_id, kind, "DELETE_COMPLETE")
        return True

    def _call(
        self,
        request_type: str,
        logical_id: str,
        kind: str,
        properties: dict[str, Any],
        *,
        current: Resource | None = None,
        old_properties: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one request to the custom resource's provider; return what CloudFormation got."""
        token = properties.get("ServiceToken")
        physical_id = current.physical_id if current else None
        if token is None:  # CloudFormation's own check of a custom resource's properties
            return {
                NOT_SENT: True,
                "Status": "FAILED",
                "PhysicalResourceId": physical_id or f"{self.name}-{logical_id}",
                "Reason": f"Properties validation failed for resource {logical_id} with message: "
                "#: required key [ServiceToken] not found",
            }
        invoke = self.cloud.providers.get(token)
        if invoke is None:
            return {
                NOT_SENT: True,
                "Status": "FAILED",
                "PhysicalResourceId": physical_id or f"{self.name}-{logical_id}",
                "Reason": f"ServiceToken {token!r} is not the local provider "
                f"({', '.join(self.cloud.providers) or f'none in {self.cloud.region}'})",
            }
        if request_type == "Update" and old_properties is None and current:
            old_properties = current.properties
        event = make_event(
            request_type,
            {k: v for k, v in properties.items() if k != "ServiceToken"},
            self.cloud.endpoint,
            physical_id=physical_id,
            old_properties=(
                {k: v for k, v in old_properties.items() if k != "ServiceToken"}
                if old_properties is not None
                else None
            ),
            logical_id=logical_id,
            stack_id=self.stack_id,
            resource_type=kind,
            service_token=token,
        )
        return invoke(event)

    # -- bookkeeping -----------------------------------------------------------------------

    def _resolver(self, template: Template, parameters: Mapping[str, str]) -> Resolver:
        resolver = Resolver(
            stack_id=self.stack_id,
            stack_name=self.name,
            template=template,
            parameters=parameters,
            exports=self.cloud.exports,
            account_id=self.cloud.account_id,
            region=self.cloud.region,
        )
        for logical_id, resource in self.resources.items():
            resolver.put(logical_id, resource.handle)
        return resolver

    def _keep(self, resolver: Resolver, resource: Resource) -> None:
        self.resources[resource.logical_id] = resource
        resolver.put(resource.logical_id, resource.handle)

    def _publish_outputs(self, resolver: Resolver) -> None:
        for name in self.exported:
            self.cloud.exports.pop(name, None)
        self.outputs, self.exported = {}, []
        for name, output in (self.template.get("Outputs") or {}).items():
            if not resolver.condition(output.get("Condition")):
                continue
            value = resolver.resolve(output["Value"])
            self.outputs[name] = value
            if "Export" in output:
                export = str(resolver.resolve(output["Export"]["Name"]))
                self.cloud.exports[export] = value
                self.exported.append(export)

    def _stack_event(self, status: str, reason: str = "") -> None:
        self.status = status
        self._event(self.name, "AWS::CloudFormation::Stack", status, reason)

    def _event(self, logical_id: str, kind: str, status: str, reason: str = "") -> None:
        event = StackEvent(datetime.now(UTC), self.name, logical_id, kind, status, reason)
        self.events.append(event)
        self.cloud.on_event(event)
