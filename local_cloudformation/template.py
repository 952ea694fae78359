"""Reading a template: YAML or JSON with CloudFormation's short-form tags, and resource order.

The short forms (``!Ref``, ``!Sub``...) become their long forms with moto's own tag
constructor, on a loader of our own so that PyYAML's global loaders are left alone.
"""

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from moto.cloudformation.utils import yaml_tag_constructor

Template = dict[str, Any]
SUB_REFERENCE = re.compile(r"\$\{(?!!)([A-Za-z0-9_:]+)(?:\.[A-Za-z0-9_.]+)?\}")


class TemplateError(ValueError):
    """The template cannot be run: what CloudFormation would answer as a ValidationError."""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("", yaml_tag_constructor)  # moto's constructor wants "!Sub"


def load(text: str) -> Template:
    """Parse a template; TemplateError says what is wrong with it."""
    try:
        parsed = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, _Loader)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        # one line, as CloudFormation's ValidationError
        raise TemplateError(f"Template format error: {' '.join(str(error).split())}") from error
    if not isinstance(parsed, dict) or not isinstance(parsed.get("Resources"), dict):
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    if parsed.get("Transform"):
        raise TemplateError("The local runner does not expand transforms (Transform).")
    return parsed


def references(value: Any) -> Iterator[str]:
    """Every name a value refers to: Ref, Fn::GetAtt and ${...} in Fn::Sub."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt":
                yield item[0] if isinstance(item, list) else str(item).split(".")[0]
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                yield from SUB_REFERENCE.findall(text) if isinstance(text, str) else ()
                if isinstance(item, list):
                    yield from references(item[1])
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def dependencies(template: Template, logical_id: str) -> set[str]:
    """The resources ``logical_id`` needs first: DependsOn plus every reference."""
    resources = template["Resources"]
    definition = resources[logical_id]
    depends_on = definition.get("DependsOn", [])
    needed = set([depends_on] if isinstance(depends_on, str) else depends_on)
    needed |= set(references(definition.get("Properties", {})))
    return {name for name in needed if name in resources and name != logical_id}


def creation_order(template: Template) -> list[str]:
    """Resources in an order where each comes after what it depends on."""
    resources = template["Resources"]
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise TemplateError(f"Circular dependency between resources: {sorted(visiting)}")
        visiting.add(name)
        for needed in sorted(dependencies(template, name)):
            visit(needed)
        visiting.discard(name)
        order.append(name)

    for name in resources:
        visit(name)
    return order


def refusals(text: str, template: Template, region: str) -> list[str]:
    """What CloudFormation would refuse in this template, as cfn-lint finds it: each error
    (rule E*) as one line naming the rule, where it is and what is wrong. Warnings (W*, I*)
    are advice, not refusals, and are left out; so are errors in a custom resource's
    properties, which CloudFormation hands to the provider unchecked (a missing ServiceToken
    fails that resource when the stack runs, not the template)."""
    from cfnlint.api import ManualArgs, lint  # noqa: PLC0415 - only validation needs it

    custom = {
        name
        for name, resource in template["Resources"].items()
        if isinstance(resource, dict) and is_custom_type(resource.get("Type"))
    }
    found = lint(text, config=ManualArgs(regions=[region]))
    return [
        f"{m.rule.id} at {'/'.join(map(str, m.path)) if m.path else 'the template'} "
        f"(line {m.linenumber}): {m.message}"
        for m in found
        if m.rule.id.startswith("E")
        and not (
            len(m.path) >= 3
            and m.path[0] == "Resources"
            and m.path[1] in custom
            and m.path[2] == "Properties"
        )
    ]


def is_custom_type(resource_type: object) -> bool:
    return isinstance(resource_type, str) and (
        resource_type.startswith("Custom::")
        or resource_type == "AWS::CloudFormation::CustomResource"
    )


def validate(text: str, region: str) -> Template:
    """The template, loaded, or TemplateError: one line, as CloudFormation's ValidationError."""
    template = load(text)
    found = refusals(text, template, region)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise TemplateError(f"Template format error: {found[0]}{more}")
    return template
