"""Moving the account's one replication set, end to end through the local stack runner, with
more than one provider deployment in one account (one emulator): to another stack, to a renamed
logical ID, to another provider stack's or another Region's deployment; and the rollback of an
adoption, which hands the set back as it was.

What each test asserts is what a user sees: stack statuses and events, the set as
``aws ssm-incidents get-replication-set`` and ``list-tags-for-resource`` show it (the manager
tag included), and which provider deployment CloudFormation sent each request to.
"""

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator import control
from local_cloudformation.engine import SERVICE_TOKEN_CHANGED, Cloud, Stack
from local_cloudformation.host import Deployment
from local_cloudformation.local import add_provider, local_cloud, other_region
from local_cloudformation.protocol import SERVICE_TOKEN
from local_cloudformation.provider_stack import TABLE_NAME
from provider.ownership import LINE, MANAGER, Resource
from tests.stack.conftest import statuses

FIRST = "IncidentReplicationSetProvider"  # README: Deploying the provider
SECOND = "IncidentReplicationSetProvider2"  # another provider stack, same Region
EAST, WEST = "us-east-1", "us-west-2"

#: A consumer template as a user writes one; LOGICAL_ID, REGIONS and TAGS are filled in below.
TEMPLATE = """\
Parameters:
  ProviderStackName:
    Type: String
    Default: IncidentReplicationSetProvider
  AdoptExisting:
    Type: String
    Default: "false"
    AllowedValues: ["true", "false"]
  DeletionProtected:
    Type: String
    Default: "false"
    AllowedValues: ["true", "false"]

Resources:
  LOGICAL_ID:
    Type: Custom::IncidentReplicationSet
    Properties:
      ServiceToken:
        Fn::ImportValue: !Sub ${ProviderStackName}-ServiceToken
      Regions: REGIONS
      DeletionProtected: !Ref DeletionProtected
      AdoptExisting: !Ref AdoptExisting
      Tags: TAGS
EXTRA
Outputs:
  ReplicationSetArn:
    Value: !GetAtt LOGICAL_ID.Arn
"""

#: A resource the provider refuses (no Regions): it fails after LOGICAL_ID, so that the stack
#: rolls back what LOGICAL_ID did.
REFUSED = """\
  Refused:
    Type: Custom::IncidentReplicationSet
    DependsOn: LOGICAL_ID
    Properties:
      ServiceToken:
        Fn::ImportValue: !Sub ${ProviderStackName}-ServiceToken
      Regions: []
"""

#: Something else a stack holds, so that it outlives the replication set resource.
TOPIC = """\
Resources:
  Pager:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub ${AWS::StackName}-pager
"""


def template(
    logical_id: str = "ReplicationSet",
    *,
    regions: Sequence[str] = (EAST, WEST),
    tags: dict[str, str] | None = None,
    then: str = "",
) -> str:
    """The consumer template: ``then`` adds resources after the set's."""
    tags = {"team": "sre"} if tags is None else tags
    listed = ", ".join(f"{{RegionName: {name}}}" for name in regions)
    tagged = ", ".join(f"{{Key: {k}, Value: {v}}}" for k, v in tags.items())
    return (
        TEMPLATE.replace("EXTRA", then)
        .replace("LOGICAL_ID", logical_id)
        .replace("REGIONS", f"[{listed}]")
        .replace("TAGS", f"[{tagged}]")
    )


def with_topic(text: str) -> str:
    """``text`` with TOPIC's topic too."""
    return text.replace("Resources:\n", TOPIC, 1)


# -- what a user sees ---------------------------------------------------------------------------


def the_set(region: str = EAST) -> dict[str, Any]:
    found = control.replication_set(region)
    assert found is not None, "the account has no replication set"
    return found


def regions_of(found: dict[str, Any]) -> list[str]:
    return sorted(found["regionMap"])


def manager(stack: Stack, logical_id: str) -> str:
    """The manager tag naming ``logical_id`` of ``stack``."""
    return Resource(stack.stack_id, logical_id).label


def token(stack: Stack, logical_id: str) -> str:
    return Resource(stack.stack_id, logical_id).token


def notes(deployment_table: str, region: str) -> list[str]:
    """The keys of the notes a deployment keeps in its records table."""
    items = boto3.client("dynamodb", region_name=region).scan(TableName=deployment_table)["Items"]
    return sorted(item["id"]["S"] for item in items if item["id"]["S"].startswith("note#"))


def snapshot() -> dict[str, Any] | None:
    """The set as read through the first Region of it that answers; None when there is none."""
    for region in (EAST, WEST, "eu-west-1", "us-east-2", "ap-southeast-1"):
        try:
            return control.replication_set(region)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
    raise AssertionError("the set answers in none of the Regions the tests use")


@dataclass
class Sent:
    """One request CloudFormation sent to a provider deployment, and the set just before."""

    deployment: str
    request_type: str
    logical_id: str
    before: dict[str, Any] | None


@dataclass
class Account:
    """One account with its provider deployments; every request they get is listed."""

    east: Cloud
    sent: list[Sent] = field(default_factory=list)

    def watch(self, cloud: Cloud, name: str, token: str) -> None:
        """List the requests the deployment ``token`` of ``cloud`` gets, as ``name``."""
        invoke = cloud.providers[token]

        def watched(event: dict[str, Any]) -> dict[str, Any]:
            before = snapshot()
            self.sent.append(Sent(name, event["RequestType"], event["LogicalResourceId"], before))
            return invoke(event)

        cloud.providers[token] = watched

    def deploy(self, cloud: Cloud, provider_stack: str, name: str) -> Deployment:
        deployment = add_provider(cloud, provider_stack)
        self.watch(cloud, name, deployment.service_token)
        return deployment

    def requests(self) -> list[tuple[str, str, str]]:
        """(deployment, RequestType, LogicalResourceId) of every request, in order."""
        return [(s.deployment, s.request_type, s.logical_id) for s in self.sent]


@pytest.fixture
def account(aws: None) -> Iterator[Account]:
    """us-east-1 with the provider stack of README deployed (``first``), instant transitions."""
    control.set_transition_seconds(0)
    with local_cloud(on_event=lambda event: None, provider_logs=io.StringIO()) as east:
        running = Account(east)
        running.watch(east, "first", SERVICE_TOKEN)
        yield running


# -- a. to another stack --------------------------------------------------------------------------


def test_moving_the_set_to_another_stack_keeps_it_and_the_other_stack_then_deletes_it(
    account: Account,
) -> None:
    a, b = Stack("incidents-a", account.east), Stack("incidents-b", account.east)
    assert a.create(template(), {}) == "CREATE_COMPLETE"
    arn = the_set()["arn"]
    assert b.create(TOPIC, {}) == "CREATE_COMPLETE"

    # B adds a resource that adopts the set: B manages it, A waits in line
    adopting = with_topic(template(tags={"team": "ir"}))
    assert b.update(adopting, {"AdoptExisting": "true"}) == "UPDATE_COMPLETE"
    found = the_set()
    assert found["arn"] == arn == b.outputs["ReplicationSetArn"]
    assert found["tags"] == {
        "team": "ir",
        MANAGER: manager(b, "ReplicationSet"),
        LINE: token(a, "ReplicationSet"),
    }

    # A may no longer change it: its update is refused naming B, and rolls back
    assert a.update(template(tags={"team": "sre", "x": "y"}), {}) == "UPDATE_ROLLBACK_COMPLETE"
    refused = next(e for e in a.events if e.status == "UPDATE_FAILED")
    assert f"is managed by resource ReplicationSet of stack incidents-b ({b.stack_id})" in (
        refused.reason
    )
    assert the_set()["tags"]["team"] == "ir"

    # A's template drops its resource: A's Delete leaves the set to B
    assert a.update(TOPIC, {}) == "UPDATE_COMPLETE"
    assert statuses(a.events, "ReplicationSet")[-2:] == ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    found = the_set()
    assert found["arn"] == arn and found["status"] == "ACTIVE"
    assert found["tags"] == {"team": "ir", MANAGER: manager(b, "ReplicationSet")}
    assert a.delete() == "DELETE_COMPLETE"
    assert control.replication_set_arns() == [arn]

    # B manages it alone now: deleting B deletes it
    assert b.delete() == "DELETE_COMPLETE"
    assert control.replication_set_arns() == []
    assert {s.deployment for s in account.sent} == {"first"}


# -- b. a renamed logical ID -----------------------------------------------------------------------


def test_renaming_the_logical_id_keeps_the_set(account: Account) -> None:
    stack = Stack("incidents", account.east)
    assert stack.create(template("ReplicationSet"), {}) == "CREATE_COMPLETE"
    arn = the_set()["arn"]

    # renamed without AdoptExisting: the new ID's Create fails naming the set; nothing changes
    status = stack.update(template("IncidentReplicationSet"), {})
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    failed = next(e for e in stack.events if e.status == "CREATE_FAILED")
    assert f"A replication set already exists in this account: {arn}" in failed.reason
    assert "AdoptExisting: true" in failed.reason
    assert statuses(stack.events, "ReplicationSet") == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert the_set()["tags"] == {"team": "sre", MANAGER: manager(stack, "ReplicationSet")}

    # renamed with AdoptExisting in an update that then fails: the rollback's Delete of the new
    # ID hands the set back to the old one, as it was
    failing = template("IncidentReplicationSet", tags={"team": "ir"}, then=REFUSED)
    assert stack.update(failing, {"AdoptExisting": "true"}) == "UPDATE_ROLLBACK_COMPLETE"
    assert statuses(stack.events, "IncidentReplicationSet")[-2:] == [
        "DELETE_IN_PROGRESS", "DELETE_COMPLETE"
    ]  # fmt: skip
    assert the_set()["tags"] == {"team": "sre", MANAGER: manager(stack, "ReplicationSet")}

    # renamed with AdoptExisting: the new ID adopts, CloudFormation's cleanup deletes the old
    status = stack.update(template("IncidentReplicationSet"), {"AdoptExisting": "true"})
    assert status == "UPDATE_COMPLETE"
    assert account.requests()[-2:] == [
        ("first", "Create", "IncidentReplicationSet"),
        ("first", "Delete", "ReplicationSet"),
    ]
    found = the_set()
    assert found["arn"] == arn == stack.outputs["ReplicationSetArn"]
    assert found["status"] == "ACTIVE" and regions_of(found) == [EAST, WEST]
    assert found["tags"] == {"team": "sre", MANAGER: manager(stack, "IncidentReplicationSet")}

    assert stack.delete() == "DELETE_COMPLETE"
    assert control.replication_set_arns() == []


# -- c. to a new provider deployment ------------------------------------------------------------


def test_moving_to_another_provider_stack_needs_a_new_logical_id_and_keeps_the_set(
    account: Account,
) -> None:
    second = account.deploy(account.east, SECOND, "second")
    stack = Stack("incidents", account.east)
    assert stack.create(template(), {}) == "CREATE_COMPLETE"
    arn = the_set()["arn"]
    before = the_set()

    # the same logical ID with the other ServiceToken: CloudFormation refuses, sends nothing
    sent = len(account.sent)
    status = stack.update(template(), {"ProviderStackName": SECOND})
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    failed = [e for e in stack.events if e.status == "UPDATE_FAILED"]
    assert [(e.logical_id, e.reason) for e in failed] == [("ReplicationSet", SERVICE_TOKEN_CHANGED)]
    assert len(account.sent) == sent
    assert the_set() == before

    # a new logical ID, served by the second deployment, adopts; the cleanup Delete of the old
    # ID goes to the first deployment, which served it
    moved = template("ManagedReplicationSet")
    status = stack.update(moved, {"ProviderStackName": SECOND, "AdoptExisting": "true"})
    assert status == "UPDATE_COMPLETE"
    assert account.requests()[-2:] == [
        ("second", "Create", "ManagedReplicationSet"),
        ("first", "Delete", "ReplicationSet"),
    ]
    found = the_set()
    assert found["arn"] == arn and found["status"] == "ACTIVE"
    assert found["tags"] == {"team": "sre", MANAGER: manager(stack, "ManagedReplicationSet")}
    # the adoption's note is in the second deployment's own table, none in the first's
    adopter = token(stack, "ManagedReplicationSet")
    assert notes(second.table, EAST) == [f"note#adoption#{adopter}#{arn}"]
    assert notes(TABLE_NAME, EAST) == []

    # the second deployment serves it from now on: an update, then the stack's deletion
    status = stack.update(moved, {"ProviderStackName": SECOND, "DeletionProtected": "true"})
    assert status == "UPDATE_COMPLETE" and the_set()["deletionProtected"] is True
    assert stack.update(moved, {"DeletionProtected": "false"}) == "UPDATE_COMPLETE"
    assert stack.delete() == "DELETE_COMPLETE"
    assert account.requests()[-3:] == [
        ("second", "Update", "ManagedReplicationSet"),
        ("second", "Update", "ManagedReplicationSet"),
        ("second", "Delete", "ManagedReplicationSet"),
    ]
    assert control.replication_set_arns() == []


def test_moving_to_another_regions_deployment_keeps_the_set_and_the_old_delete_leaves_it(
    account: Account,
) -> None:
    west = other_region(account.east, WEST, provider_stack=None)
    there = account.deploy(west, FIRST, "west")
    a = Stack("incidents", account.east)
    assert a.create(template(), {}) == "CREATE_COMPLETE"
    arn = the_set()["arn"]

    # a stack in us-west-2 asking for a set without AdoptExisting fails naming the set, and
    # its rollback leaves it
    plain = Stack("incidents-west", west)
    assert plain.create(template(regions=(WEST, EAST)), {}) == "ROLLBACK_COMPLETE"
    assert f"already exists in this account: {arn}" in next(
        e.reason for e in plain.events if e.status == "CREATE_FAILED"
    )
    assert the_set(WEST)["tags"] == {"team": "sre", MANAGER: manager(a, "ReplicationSet")}

    # with AdoptExisting, us-west-2's deployment takes it over
    w = Stack("incidents-west", west)
    assert w.stack_id.startswith(f"arn:aws:cloudformation:{WEST}:")
    adopting = template(regions=(WEST, EAST), tags={"team": "west"})
    assert w.create(adopting, {"AdoptExisting": "true"}) == "CREATE_COMPLETE"
    assert w.outputs["ReplicationSetArn"] == arn
    assert the_set(WEST)["tags"] == {
        "team": "west",
        MANAGER: manager(w, "ReplicationSet"),
        LINE: token(a, "ReplicationSet"),
    }
    assert notes(there.table, WEST) == [f"note#adoption#{token(w, 'ReplicationSet')}#{arn}"]

    # the us-east-1 stack goes: its Delete, in us-east-1's deployment, leaves the set
    assert a.delete() == "DELETE_COMPLETE"
    assert account.requests()[-1] == ("first", "Delete", "ReplicationSet")
    found = the_set(WEST)
    assert found["arn"] == arn and found["status"] == "ACTIVE"
    assert regions_of(found) == [EAST, WEST]
    assert found["tags"] == {"team": "west", MANAGER: manager(w, "ReplicationSet")}

    # the us-west-2 stack manages it alone: its deletion deletes it
    assert w.delete() == "DELETE_COMPLETE"
    assert account.requests()[-1] == ("west", "Delete", "ReplicationSet")
    assert control.replication_set_arns(WEST) == []


def test_a_service_token_of_another_regions_function_is_not_sent(account: Account) -> None:
    west = other_region(account.east, WEST)
    stack = Stack("incidents", account.east)
    text = template().replace(
        "Fn::ImportValue: !Sub ${ProviderStackName}-ServiceToken",
        west.exports[f"{FIRST}-ServiceToken"],
    )
    assert stack.create(text, {}) == "ROLLBACK_COMPLETE"
    assert "is not the local provider" in next(
        e.reason for e in stack.events if e.status == "CREATE_FAILED"
    )
    assert account.sent == [] and control.replication_set_arns() == []


# -- d. a rolled-back adoption ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["new stack", "stack update"])
def test_a_rolled_back_adoption_hands_the_set_back_as_it_was(account: Account, how: str) -> None:
    account.deploy(account.east, SECOND, "second")
    a = Stack("incidents-a", account.east)
    a_tags = {"team": "sre", "env": "prod"}
    assert a.create(template(tags=a_tags), {"DeletionProtected": "true"}) == "CREATE_COMPLETE"
    arn = the_set()["arn"]
    as_a_had_it = the_set()
    assert as_a_had_it["deletionProtected"] is True
    assert as_a_had_it["tags"] == {**a_tags, MANAGER: manager(a, "ReplicationSet")}

    # B adopts it, served by the second deployment, asking for no protection, another tag and a
    # third Region; then B's next resource is refused, and CloudFormation rolls B back
    b = Stack("incidents-b", account.east)
    adopting = template(regions=(EAST, WEST, "us-east-2"), tags={"owner": "b"}, then=REFUSED)
    parameters = {"ProviderStackName": SECOND, "AdoptExisting": "true"}
    if how == "new stack":
        assert b.create(adopting, parameters) == "ROLLBACK_COMPLETE"
    else:
        assert b.create(TOPIC, {}) == "CREATE_COMPLETE"
        assert b.update(with_topic(adopting), parameters) == "UPDATE_ROLLBACK_COMPLETE"
    assert statuses(b.events, "ReplicationSet") == [
        "CREATE_IN_PROGRESS", "CREATE_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"
    ]  # fmt: skip
    assert "Regions" in next(e.reason for e in b.events if e.status == "CREATE_FAILED")

    # while B held it, the set was what B asked
    adopted = next(s.before for s in account.sent if s.logical_id == "Refused")
    assert adopted is not None and adopted["arn"] == arn
    assert adopted["deletionProtected"] is False
    assert regions_of(adopted) == [EAST, "us-east-2", WEST]
    assert adopted["tags"] == {
        "owner": "b",
        MANAGER: manager(b, "ReplicationSet"),
        LINE: token(a, "ReplicationSet"),
    }

    # the rollback handed it back to A as A had it
    assert [r for r in account.requests() if r[2] == "ReplicationSet"][-1] == (
        "second", "Delete", "ReplicationSet"
    )  # fmt: skip
    found = the_set()
    assert found["arn"] == arn and found["status"] == "ACTIVE"
    assert found["deletionProtected"] is True
    assert regions_of(found) == [EAST, WEST]
    assert found["tags"] == {**a_tags, MANAGER: manager(a, "ReplicationSet")}

    # and A manages it again
    assert a.update(template(tags={"team": "sre"}), {"DeletionProtected": "true"}) == (
        "UPDATE_COMPLETE"
    )
    assert the_set()["tags"] == {"team": "sre", MANAGER: manager(a, "ReplicationSet")}


# -- found here: what the provider did wrong before, kept as plain tests -------------------------


def test_the_rollback_of_an_adoption_that_added_its_own_region_hands_the_set_back(
    account: Account,
) -> None:
    """Putting back the Regions the adoption found removes the adopter's own Region, through
    which it had claimed the set: the marks are written through a Region still in it."""
    west = other_region(account.east, WEST)
    a = Stack("incidents-a", account.east)
    assert a.create(template(regions=(EAST,)), {"DeletionProtected": "true"}) == "CREATE_COMPLETE"
    arn = the_set()["arn"]

    # us-west-2's stack adopts (adding us-west-2, which its template must name), then fails
    w = Stack("incidents-west", west)
    adopting = template(regions=(WEST, EAST), tags={"team": "west"}, then=REFUSED)
    assert w.create(adopting, {"AdoptExisting": "true"}) == "ROLLBACK_COMPLETE"

    found = the_set()
    assert found["arn"] == arn and regions_of(found) == [EAST]
    assert found["deletionProtected"] is True
    assert found["tags"] == {"team": "sre", MANAGER: manager(a, "ReplicationSet")}


def test_a_line_members_delete_leaves_the_line_after_the_manager_moved_the_set_away(
    account: Account,
) -> None:
    """No Region the old resource knows sees the set any more: it is found through the other
    Regions where Incident Manager answers, and the Delete leaves the line."""
    west = other_region(account.east, WEST)
    a = Stack("incidents-a", account.east)
    assert a.create(template(regions=(EAST, "eu-west-1")), {}) == "CREATE_COMPLETE"
    arn = the_set()["arn"]
    w = Stack("incidents-west", west)
    adopting = template(regions=(WEST, "eu-west-1"))
    assert w.create(adopting, {"AdoptExisting": "true"}) == "CREATE_COMPLETE"
    # the manager's own update, through its stack: the set leaves A's last Region
    assert w.update(template(regions=(WEST, "ap-southeast-1")), {}) == "UPDATE_COMPLETE"
    assert regions_of(the_set(WEST)) == ["ap-southeast-1", WEST]

    status = a.delete()
    assert status == "DELETE_COMPLETE", [e.reason for e in a.events if e.status == "DELETE_FAILED"]
    found = the_set(WEST)
    assert found["arn"] == arn
    assert found["tags"] == {"team": "sre", MANAGER: manager(w, "ReplicationSet")}
