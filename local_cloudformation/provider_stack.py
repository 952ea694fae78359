"""The provider stack's own AWS parts, made in the emulator as ``template.yaml`` makes them.

The local runner, ``invoke``, the demo, the benchmarks and the tests run the provider with its
records on, in a table made from the template's own definition (``RecordsTable``), so that what
runs here is what the provider stack deploys.
"""

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .template import _Loader

TEMPLATE = Path(__file__).parents[1] / "template.yaml"
#: The environment variable template.yaml sets to the table's name.
TABLE_VARIABLE = "PROVIDER_IDEMPOTENCY_TABLE"
#: The provider stack's name, as README's "Deploying the provider" deploys it.
PROVIDER_STACK = "IncidentReplicationSetProvider"


def table_name(provider_stack: str = PROVIDER_STACK) -> str:
    """The name CloudFormation would give the table in a provider stack of that name."""
    return f"{provider_stack}-RecordsTable-LOCAL"


TABLE_NAME = table_name()


@cache
def records_table_properties() -> dict[str, Any]:
    """``RecordsTable``'s Properties in template.yaml."""
    template = yaml.load(TEMPLATE.read_text(), _Loader)
    return dict(template["Resources"]["RecordsTable"]["Properties"])


def create_records_table(client: Any, name: str = TABLE_NAME) -> str:
    """Make the records table (unless it exists) with the template's definition; its name."""
    properties = records_table_properties()
    try:
        client.create_table(
            TableName=name,
            BillingMode=properties["BillingMode"],
            AttributeDefinitions=properties["AttributeDefinitions"],
            KeySchema=properties["KeySchema"],
            SSESpecification={"Enabled": properties["SSESpecification"]["SSEEnabled"]},
        )
    except client.exceptions.ResourceInUseException:
        return name
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification=properties["TimeToLiveSpecification"]
    )
    return name
