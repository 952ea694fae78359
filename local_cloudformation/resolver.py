"""Intrinsic functions and AWS resources, through moto's CloudFormation parsing.

moto's ``ResourceMap`` resolves parameters, conditions, mappings and the intrinsic functions
(``clean_json``), and its models create AWS resources such as ``AWS::KMS::Key`` in moto's own
backends. What it lacks is the custom resource lifecycle (moto 5.2 invokes a ``Custom::``
resource only on Create, through a Lambda container): :mod:`local_cloudformation.engine`
drives that.
Here the map is told about each resource as the engine makes it, instead of creating resources
lazily on first reference, so that every creation is an event the engine can show.
"""

import json
from collections.abc import Mapping
from typing import Any

from moto.cloudformation.exceptions import ExportNotFound, MissingParameterError
from moto.cloudformation.parsing import (
    Export,
    ResourceMap,
    clean_json,
    get_model_map,
    parse_and_create_resource,
)

from .template import Template, TemplateError


class CustomResource:
    """What a stack knows of a custom resource: the provider's answer."""

    def __init__(self, physical_id: str, data: Mapping[str, Any]) -> None:
        self.physical_resource_id = physical_id
        self.data = dict(data)

    def get_cfn_attribute(self, name: str) -> Any:
        if name not in self.data:
            raise TemplateError(
                f"CustomResource attribute error: Vendor response doesn't contain {name} key"
            )
        return self.data[name]


class Placeholder:
    """An AWS resource type moto does not model: recorded so Ref and Fn::GetAtt resolve."""

    def __init__(self, physical_id: str, arn: str) -> None:
        self.physical_resource_id = physical_id
        self.arn = arn

    def get_cfn_attribute(self, name: str) -> Any:
        return self.arn if name == "Arn" else self.physical_resource_id


class Resolver(ResourceMap):
    def __init__(
        self,
        *,
        stack_id: str,
        stack_name: str,
        template: Template,
        parameters: Mapping[str, str],
        exports: Mapping[str, str],
        account_id: str,
        region: str,
    ) -> None:
        crossing = {name: Export(stack_id, name, value) for name, value in exports.items()}
        super().__init__(
            stack_id, stack_name, dict(parameters), {}, region, account_id, template, crossing
        )
        try:
            self.load_mapping()
            self.load_parameters()
            self.load_conditions()
        except MissingParameterError as error:
            raise TemplateError(str(error.message)) from error

    def __getitem__(self, key: str) -> Any:
        if key in self._parsed_resources:
            return self._parsed_resources[key]
        raise TemplateError(f"Template error: {key} is referenced before it exists")

    def put(self, logical_id: str, resource: Any) -> None:
        self._parsed_resources[logical_id] = resource

    def condition(self, name: str | None) -> bool:
        return True if name is None else bool(self.lazy_condition_map[name])

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic function in ``value``; AWS::NoValue removes list items too."""
        try:
            return _without_no_value(clean_json(value, self))
        except ExportNotFound as error:
            raise TemplateError(str(error.message)) from error

    def create_aws_resource(self, logical_id: str, definition: Template) -> Any:
        """Create an AWS resource in moto, or a placeholder for a type moto does not model."""
        if definition["Type"] not in get_model_map():
            name = f"{self['AWS::StackName']}-{logical_id}"
            service = definition["Type"].split("::")[1].lower()
            kind = definition["Type"].split("::")[2].lower()
            arn = f"arn:aws:{service}:{self._region_name}:{self._account_id}:{kind}/{name}"
            return Placeholder(name, arn)
        made: Any = parse_and_create_resource(
            logical_id, definition, self, account_id=self._account_id, region_name=self._region_name
        )
        if definition["Type"] == "AWS::KMS::Key" and isinstance(getattr(made, "policy", ""), dict):
            # moto 5.2 keeps a template's KeyPolicy as a dict, and its own DescribeKey then
            # fails to json.loads it: store it as the JSON text KMS keeps.
            made.policy = json.dumps(made.policy)
        return made

    def delete_aws_resource(self, resource: Any, definition: Template) -> None:
        if isinstance(resource, Placeholder):
            return
        self._delete_resource(resource, definition)


def _without_no_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_without_no_value(v) for v in value if v is not None]
    if isinstance(value, dict):
        return {k: _without_no_value(v) for k, v in value.items()}
    return value
