"""One manager for the account's one set, which every provider deployment sees (issue 24).

The manager is kept on the set itself (provider.ownership), so two provider deployments (two
Regions, two provider stacks, each with its own records table) agree on who may delete it.
Each test drives the real handlers as CloudFormation would, with two deployments against one
emulator.
"""

from typing import Any

import boto3
import pytest

from emulator import control
from local_cloudformation.protocol import STACK_ID
from provider.ownership import CLAIM, MANAGER
from provider.settings import settings
from tests.provider.conftest import HOME, MakeDeployment, MakeKey, Stack, marked, success
from tests.provider.test_create import ONE_REGION, all_sets, replication_set
from tests.provider.test_one_effect import ADOPT, OTHER_STACK

#: Who manages the set, not Region ages: one reading of the 24-hour rule, unless a test says.
pytestmark = pytest.mark.parametrize("removal_rule", ["removals-any-time"])

WEST = "us-west-2"
BOTH = {"Regions": [{"RegionName": "us-east-1"}, {"RegionName": WEST}]}
TEAM_A = STACK_ID.replace("stack/incidents/", "stack/team-a/")
PLATFORM = STACK_ID.replace("stack/incidents/", "stack/platform/").replace("us-east-1", WEST)


def tags(**pairs: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


def deleted_by(stack: Stack, arn: str, props: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return stack.send(stack.event("Delete", props, physical_id=arn, **kw))


# -- a Delete from anyone but the manager leaves the set ----------------------------------------


def test_deleting_the_first_stack_after_another_regions_deployment_adopted_keeps_the_set(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    """Issue 24, path 1: stack A (provider in us-east-1) made the set; stack B (provider in
    us-west-2, its own table) adopted it. Deleting A leaves the set to B."""
    west = another_deployment(WEST)
    arn = stack.create(BOTH)["PhysicalResourceId"]
    adopt = {**BOTH, "AdoptExisting": "true"}
    adopted = west.create(adopt, stack_id=PLATFORM)
    assert adopted == success(adopted, arn)
    assert replication_set(arn)["tags"] == marked(
        {}, PLATFORM, line=((STACK_ID, "ReplicationSet"),)
    )
    control.reset_call_counts()
    gone = stack.delete(arn, BOTH)
    assert gone == {**success(gone, arn), "Data": {}}
    assert all_sets() == [arn]
    # A only left the line of resources the set goes back to: claim, then line and claim off
    assert control.mutating_calls() == {"TagResource": 1, "UntagResource": 1}
    assert replication_set(arn)["tags"] == marked({}, PLATFORM)
    # B manages it alone now: its Delete deletes it
    assert deleted_by(west, arn, adopt, stack_id=PLATFORM)["Status"] == "SUCCESS"
    assert all_sets() == []


def test_the_cleanup_delete_from_an_old_service_token_keeps_the_moved_set(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    """Issue 24, path 2: CloudFormation refuses a changed ServiceToken, so the resource moves to
    a new provider deployment as a new logical ID with AdoptExisting; the cleanup Delete of the
    old logical ID goes to the old function, which must leave the set."""
    new_provider = another_deployment(WEST)
    arn = stack.create(BOTH, logical_id="Incidents")["PhysicalResourceId"]
    moved = new_provider.create({**BOTH, "AdoptExisting": "true"}, logical_id="ReplicationSet")
    assert moved["PhysicalResourceId"] == arn
    cleanup = deleted_by(stack, arn, BOTH, logical_id="Incidents")
    assert cleanup["Status"] == "SUCCESS" and all_sets() == [arn]
    assert replication_set(arn)["tags"] == marked({})  # ReplicationSet alone manages it


def test_a_delete_from_a_resource_that_never_managed_the_set_changes_nothing(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    arn = stack.create(BOTH)["PhysicalResourceId"]
    stranger = another_deployment(WEST)
    control.reset_call_counts()
    answer = deleted_by(stranger, arn, BOTH, stack_id=PLATFORM)
    assert answer == {**success(answer, arn), "Data": {}}
    assert control.mutating_calls() == {} and replication_set(arn)["tags"] == marked({})


# -- an adoption is undone by its rollback ------------------------------------------------------


def test_a_rolled_back_adoption_leaves_the_set_protected_and_tagged_as_its_manager_had_it(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    """Issue 24, path 3: B adopts asking for no protection and another tag; another resource of
    B fails, and CloudFormation's rollback deletes B's resource: the set goes back to A as A's
    template says it is."""
    team_a = {**BOTH, "DeletionProtected": "true", "Tags": tags(team="a", env="prod")}
    arn = stack.create(team_a, stack_id=TEAM_A)["PhysicalResourceId"]
    west = another_deployment(WEST)
    adopt = {**BOTH, "AdoptExisting": "true", "Tags": tags(team="platform")}
    assert west.create(adopt, stack_id=PLATFORM)["Status"] == "SUCCESS"
    during = replication_set(arn)
    assert during["deletionProtected"] is False
    assert during["tags"] == marked(
        {"team": "platform"}, PLATFORM, line=((TEAM_A, "ReplicationSet"),)
    )
    rollback = deleted_by(west, arn, adopt, stack_id=PLATFORM)
    assert rollback == {**success(rollback, arn), "Data": {}}
    after = replication_set(arn)
    assert after["deletionProtected"] is True
    assert after["tags"] == marked({"team": "a", "env": "prod"}, TEAM_A)
    # A manages it again: its next update goes through
    wanted = {**team_a, "Tags": tags(team="a")}
    event = stack.event("Update", wanted, physical_id=arn, old_properties=team_a, stack_id=TEAM_A)
    assert stack.send(event) == success(event, arn)
    assert replication_set(arn)["tags"] == marked({"team": "a"}, TEAM_A)


def test_a_refused_adoption_changes_nothing(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    """The adoption turns protection off and retags, then Incident Manager refuses its Region
    addition: it puts back what it changed, and records nothing."""
    team_a = {**BOTH, "DeletionProtected": "true", "Tags": tags(team="a")}
    arn = stack.create(team_a, stack_id=TEAM_A)["PhysicalResourceId"]
    before = replication_set(arn)
    west = another_deployment(WEST)
    adopt = {
        "Regions": [*BOTH["Regions"], {"RegionName": "eu-west-1"}],
        "AdoptExisting": "true",
        "Tags": tags(team="platform"),
    }
    control.inject_fault("UpdateReplicationSet", "ValidationException")
    refused = west.create(adopt, stack_id=PLATFORM)
    assert refused["Status"] == "FAILED"
    assert refused["Reason"].startswith("UpdateReplicationSet failed with ValidationException")
    assert refused["Reason"].endswith(" What the adoption changed was put back.")
    after = replication_set(arn)
    assert (after["deletionProtected"], after["tags"]) == (True, marked({"team": "a"}, TEAM_A))
    assert sorted(after["regionMap"]) == sorted(before["regionMap"])
    # it names the set it was adopting; its rollback's Delete leaves it, with nothing to undo
    assert refused["PhysicalResourceId"] == arn
    control.reset_call_counts()
    assert deleted_by(west, arn, adopt, stack_id=PLATFORM)["Status"] == "SUCCESS"
    assert control.mutating_calls() == {} and replication_set(arn) == after


# -- a resource that no longer manages the set never fails its own rollback ---------------------


def test_the_rollback_of_an_update_refused_to_a_former_manager_succeeds_with_no_call(
    stack: Stack,
) -> None:
    """platform adopted team-a's set and changed a tag; team-a's update is refused (naming the
    manager), and its rollback, which has nothing to undo, succeeds without a call."""
    team_a = {**BOTH, "Tags": tags(team="a")}
    arn = stack.create(team_a, stack_id=TEAM_A)["PhysicalResourceId"]
    platform = {**BOTH, "AdoptExisting": "true", "Tags": tags(team="a")}
    assert stack.create(platform, stack_id=PLATFORM)["Status"] == "SUCCESS"
    retagged = {**platform, "Tags": tags(team="platform")}
    event = stack.event(
        "Update", retagged, physical_id=arn, old_properties=platform, stack_id=PLATFORM
    )
    assert stack.send(event) == success(event, arn)
    wanted = {**team_a, "Tags": tags(team="a", env="prod")}
    refused = stack.send(
        stack.event("Update", wanted, physical_id=arn, old_properties=team_a, stack_id=TEAM_A)
    )
    assert refused["Status"] == "FAILED"
    assert refused["Reason"].startswith(
        f"Replication set {arn} is managed by resource ReplicationSet of stack platform "
        f"({PLATFORM}), which adopted it (AdoptExisting)"
    )
    assert refused["Reason"].endswith(
        "If team-a is a nested stack, run that on its root stack instead, skipping "
        "NESTED_STACK_LOGICAL_ID.ReplicationSet (the nested stack's logical ID in the root's "
        "template)."
    )
    control.reset_call_counts()
    rollback = stack.send(
        stack.event("Update", team_a, physical_id=arn, old_properties=wanted, stack_id=TEAM_A)
    )
    assert rollback == success(rollback, arn)
    assert control.mutating_calls() == {}
    assert replication_set(arn)["tags"] == marked(
        {"team": "platform"}, PLATFORM, line=((TEAM_A, "ReplicationSet"),)
    )
    # A forward update asking the same is still refused: only the rollback passes
    again = stack.send(
        stack.event("Update", wanted, physical_id=arn, old_properties=team_a, stack_id=TEAM_A)
    )
    assert again["Status"] == "FAILED"


# -- no mark outlives its operation ---------------------------------------------------------


def test_a_delete_answered_by_crhelpers_timer_leaves_nothing_that_blocks_an_adoption(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    arn = stack.create(BOTH)["PhysicalResourceId"]
    stack.timeout_seconds = 60
    # the Delete's claim is on the set, then its read-back hangs past Lambda's end
    control.after_call("TagResource", lambda: stack.hang_once.update(GetReplicationSet=65))
    answer = stack.delete(arn, BOTH)
    assert (answer["Status"], answer["Reason"]) == ("FAILED", "Execution timed out")
    assert stack.clock.fired == [0.5] and all_sets() == [arn]
    left = replication_set(arn)["tags"]
    [claim] = [key for key in left if key.startswith(CLAIM)]  # it expired with the invocation
    assert float(left[claim]) <= stack.clock.now
    west = another_deployment(WEST)
    adopted = west.create({**BOTH, "AdoptExisting": "true"}, stack_id=PLATFORM)
    assert adopted == success(adopted, arn)
    # the adoption also took the expired claim away: the marks are the manager's and the line
    assert replication_set(arn)["tags"] == marked(
        {}, PLATFORM, line=((STACK_ID, "ReplicationSet"),)
    )


def test_a_delete_that_may_not_claim_the_set_fails_and_keeps_it(stack: Stack) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    control.reset_call_counts()
    control.inject_fault("TagResource", "AccessDeniedException")
    answer = stack.delete(arn)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"] == (
        "TagResource failed with AccessDeniedException: Injected AccessDeniedException for "
        "TagResource (grant ssm-incidents:TagResource to the provider's execution role)"
    )
    assert all_sets() == [arn] and replication_set(arn)["tags"] == marked({})
    assert stack.delete(arn)["Status"] == "SUCCESS"  # CloudFormation's retry, role fixed
    assert all_sets() == []


def test_a_refused_delete_leaves_no_claim_and_another_stack_may_adopt_at_once(
    stack: Stack,
) -> None:
    """No mark outlives its operation: the Delete refused for deletion protection takes its
    claim away, so an adoption right after is not kept waiting."""
    protected = {**ONE_REGION, "DeletionProtected": "true"}
    arn = stack.create(protected)["PhysicalResourceId"]
    refused = stack.delete(arn)
    assert refused["Status"] == "FAILED" and "deletion protection on" in refused["Reason"]
    assert replication_set(arn)["tags"] == marked({})
    event = stack.event("Create", {**protected, "AdoptExisting": "true"}, stack_id=OTHER_STACK)
    assert stack.send(event) == success(event, arn)


# -- two at once --------------------------------------------------------------------------------


def test_two_adoptions_at_the_same_moment_do_not_both_win(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    """B has claimed the set and not yet read it back when C's whole adoption runs: C sees B's
    claim and gives way (each try taking its claim away again); B then goes on alone."""
    arn = stack.create(BOTH)["PhysicalResourceId"]
    west = another_deployment(WEST)
    third = STACK_ID.replace("stack/incidents/", "stack/third/")
    adopt = {**BOTH, "AdoptExisting": "true"}
    other = Stack(stack.endpoint, stack.clock, stack.runtime)  # C, through the first deployment
    answers: list[dict[str, Any]] = []

    def c_adopts_between_bs_claim_and_its_read(**_: Any) -> None:
        if not answers:
            answers.append({})
            answers[0] = other.create(adopt, stack_id=third)

    client = west.runtime.incidents()._client_for(WEST)
    client.meta.events.register(
        "after-call.ssm-incidents.TagResource", c_adopts_between_bs_claim_and_its_read
    )
    b = west.create(adopt, stack_id=PLATFORM)
    assert b == success(b, arn)
    assert (answers[0]["Status"], answers[0]["Reason"]) == (
        "FAILED",
        f"Another request is changing who manages replication set {arn} (its tags "
        f"{CLAIM}*); nothing was changed. Retry the stack operation in a minute.",
    )
    # one winner, nobody dropped from the line
    assert replication_set(arn)["tags"] == marked(
        {}, PLATFORM, line=((STACK_ID, "ReplicationSet"),)
    )


def test_an_adoption_that_another_overtakes_before_its_claim_goes_after_it(
    stack: Stack,
) -> None:
    """The marks are read again under the claim: an adoption that landed meanwhile is kept in
    the line, not overwritten."""
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    third = STACK_ID.replace("stack/incidents/", "stack/third/")
    third_stack = Stack(stack.endpoint, stack.clock, stack.runtime)  # its own invocation
    landed: list[dict[str, Any]] = []
    started: list[bool] = []

    def another_adoption_lands_first(params: dict[str, Any], **_: Any) -> None:
        if not started and any(k.startswith(CLAIM) for k in params.get("tags", {})):
            started.append(True)  # the third stack's own claim comes through here too
            landed.append(third_stack.create(ADOPT, stack_id=third))

    client = stack.runtime.incidents()._client_for(HOME)
    client.meta.events.register(
        "provide-client-params.ssm-incidents.TagResource", another_adoption_lands_first
    )
    event = stack.event("Create", ADOPT, stack_id=OTHER_STACK)
    assert stack.send(event) == success(event, arn)
    assert landed[0]["Status"] == "SUCCESS"
    line = ((STACK_ID, "ReplicationSet"), (third, "ReplicationSet"))
    assert replication_set(arn)["tags"] == marked({}, OTHER_STACK, line=line)


def test_a_claim_that_keeps_meeting_another_fails_asking_for_a_retry_and_changes_nothing(
    stack: Stack,
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    outside = boto3.client("ssm-incidents", region_name=HOME)
    # Another provider's claim, renewed on and on (it expires in an hour each time)
    busy = {f"{CLAIM}zzzzzzzzzzzzzzzz": str(int(stack.clock.now) + 3600)}
    outside.tag_resource(resourceArn=arn, tags=busy)
    control.reset_call_counts()
    answer = stack.create(ADOPT, stack_id=OTHER_STACK)
    assert (answer["Status"], answer["Reason"]) == (
        "FAILED",
        f"Another request is changing who manages replication set {arn} (its tags "
        f"{CLAIM}*); nothing was changed. Retry the stack operation in a minute.",
    )
    assert answer["PhysicalResourceId"] != arn  # this stack's rollback leaves the set alone
    # the refused CreateReplicationSet (a set exists), then four tries at a claim, each
    # taking its claim away again
    assert control.mutating_calls() == {
        "CreateReplicationSet": 1,
        "TagResource": 4,
        "UntagResource": 4,
    }
    assert replication_set(arn)["tags"] == {**marked({}), **busy}


# -- what the Reasons say -----------------------------------------------------------------------


def test_an_adoption_that_changes_a_regions_key_says_that_is_a_removal_and_an_addition(
    stack: Stack, kms_key: MakeKey
) -> None:
    control.set_region_removal_min_age(86400)  # the assumed 24-hour rule (conftest)
    east, west, other_east = kms_key("us-east-1"), kms_key(WEST), kms_key("us-east-1")

    def keyed(home_key: str) -> dict[str, Any]:
        return {
            "Regions": [
                {"RegionName": "us-east-1", "RegionConfiguration": {"SseKmsKeyId": home_key}},
                {"RegionName": WEST, "RegionConfiguration": {"SseKmsKeyId": west}},
            ]
        }

    arn = stack.create(keyed(east))["PhysicalResourceId"]
    refused = stack.create({**keyed(other_east), "AdoptExisting": "true"}, stack_id=PLATFORM)
    assert refused["Status"] == "FAILED"
    assert refused["Reason"].startswith("Incident Manager refused to remove Region us-east-1")
    assert (
        f"The template asks for another key in us-east-1 ({other_east} instead of {east}): "
        "Incident Manager changes a Region's key only by removing the Region and adding it back "
        "with the new key."
    ) in refused["Reason"]
    assert replication_set(arn)["tags"] == marked({})  # refused: still the first stack's


def test_a_delete_of_a_set_already_gone_leaves_nothing_behind(stack: Stack) -> None:
    """The manager lives and dies with the set: after the set was deleted outside, the Delete
    succeeds, and the next set is its own creator's, with nothing left of the old one."""
    arn = stack.create(BOTH)["PhysicalResourceId"]
    boto3.client("ssm-incidents", region_name="us-east-1").delete_replication_set(arn=arn)
    control.advance_clock(60)
    assert stack.delete(arn, BOTH)["Status"] == "SUCCESS"
    made = stack.create(BOTH, stack_id=PLATFORM)["PhysicalResourceId"]
    assert made != arn and replication_set(made)["tags"] == marked({}, PLATFORM)
    assert deleted_by(stack, made, BOTH, stack_id=PLATFORM)["Status"] == "SUCCESS"
    assert all_sets() == []


def test_the_manager_tag_is_readable_and_counts_against_the_fifty(stack: Stack) -> None:
    arn = stack.create({**BOTH, "Tags": tags(**{f"k{n}": "v" for n in range(47)})})[
        "PhysicalResourceId"
    ]
    live = replication_set(arn)["tags"]
    assert len(live) == 48
    token, stack_id, logical_id = live[MANAGER].split(" ")
    assert (stack_id, logical_id, len(token)) == (STACK_ID, "ReplicationSet", 16)


def test_an_update_the_plan_refuses_from_a_resource_that_no_longer_manages_the_set(
    stack: Stack, kms_key: MakeKey
) -> None:
    arn = stack.create(ONE_REGION)["PhysicalResourceId"]
    stack.create(ADOPT, stack_id=OTHER_STACK)  # the other stack's resource manages it now
    key = {"RegionName": HOME, "RegionConfiguration": {"SseKmsKeyId": kms_key(HOME)}}
    refused = stack.update(arn, {"Regions": [key]}, ONE_REGION)  # a key kind switch, refused
    assert refused["Status"] == "FAILED"
    assert refused["Reason"].startswith(
        f"Replication set {arn} is managed by resource ReplicationSet of stack other "
    )


# -- upgrading from a version that kept the manager in its table -----------------------------


def write_legacy_line(arn: str, owners: list[tuple[str, str]]) -> None:
    """The line of managers as the earlier version wrote it to its table, with no expiry."""
    boto3.client("dynamodb", region_name="us-east-1").put_item(
        TableName=settings().idempotency_table,
        Item={
            "id": {"S": f"owner#{arn}"},
            "owners": {
                "L": [{"M": {"stack_id": {"S": s}, "logical_id": {"S": r}}} for s, r in owners]
            },
            "version": {"N": str(len(owners))},
        },
    )


def test_an_earlier_versions_line_in_the_table_moves_onto_the_set_and_keeps_it(
    stack: Stack,
) -> None:
    """Before this version, the line of managers lived in the deployment's table (owner#ARN).
    The first request that meets the unmarked set moves it onto the set and removes the item:
    deleting the stack that made the set keeps it for the stack that adopted it."""
    arn = boto3.client("ssm-incidents", region_name="us-east-1").create_replication_set(
        regions={"us-east-1": {}, WEST: {}}
    )["arn"]
    write_legacy_line(arn, [(STACK_ID, "ReplicationSet"), (PLATFORM, "ReplicationSet")])
    table = settings().idempotency_table
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    assert stack.delete(arn, BOTH)["Status"] == "SUCCESS"
    assert all_sets() == [arn]
    assert replication_set(arn)["tags"] == marked({}, PLATFORM)
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"id": {"S": f"owner#{arn}"}})
    assert deleted_by(stack, arn, BOTH, stack_id=PLATFORM)["Status"] == "SUCCESS"
    assert all_sets() == []


# -- found by the review of this design: each path, as CloudFormation and Lambda drive it ------


def adopting_a_third_region(team: str) -> dict[str, Any]:
    return {
        "Regions": [*BOTH["Regions"], {"RegionName": "eu-west-1"}],
        "AdoptExisting": "true",
        "Tags": tags(team=team),
    }


def test_an_adoption_ended_by_crhelpers_timer_midway_is_put_back_by_its_rollback(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    team_a = {**BOTH, "DeletionProtected": "true", "Tags": tags(team="a")}
    arn = stack.create(team_a, stack_id=TEAM_A)["PhysicalResourceId"]
    west = another_deployment(WEST)
    adopt = adopting_a_third_region("platform")
    west.timeout_seconds = 60
    west.hang_once["UpdateReplicationSet"] = 65  # the Region addition's call hangs
    answer = west.create(adopt, stack_id=PLATFORM)
    assert (answer["Status"], answer["Reason"]) == ("FAILED", "Execution timed out")
    assert answer["PhysicalResourceId"] == arn  # so that the rollback's Delete undoes it
    midway = replication_set(arn)
    assert (midway["deletionProtected"], midway["tags"]["team"]) == (False, "platform")
    rollback = deleted_by(west, arn, adopt, stack_id=PLATFORM)
    assert rollback == {**success(rollback, arn), "Data": {}}
    after = replication_set(arn)
    assert (after["deletionProtected"], after["tags"]) == (True, marked({"team": "a"}, TEAM_A))
    assert sorted(after["regionMap"]) == ["us-east-1", WEST]


def test_an_adoption_ended_by_the_timer_after_recording_itself_is_handed_back_by_its_rollback(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    team_a = {**BOTH, "DeletionProtected": "true", "Tags": tags(team="a")}
    arn = stack.create(team_a, stack_id=TEAM_A)["PhysicalResourceId"]
    west = another_deployment(WEST)
    adopt = {**BOTH, "AdoptExisting": "true", "Tags": tags(team="platform")}
    west.timeout_seconds = 60
    # the marks are written; taking the claim away then hangs past Lambda's end
    control.after_call(
        "TagResource",
        lambda: control.after_call("TagResource", lambda: west.hang_once.update(UntagResource=65)),
    )
    answer = west.create(adopt, stack_id=PLATFORM)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert replication_set(arn)["tags"][MANAGER] == marked({}, PLATFORM)[MANAGER]
    rollback = deleted_by(west, arn, adopt, stack_id=PLATFORM)
    assert rollback["Status"] == "SUCCESS"
    after = replication_set(arn)
    assert (after["deletionProtected"], after["tags"]) == (True, marked({"team": "a"}, TEAM_A))


def test_an_adoption_overtaken_between_its_invocations_gives_way(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    """The adoption hands off while the set is in a change (whose tags cannot be written, so
    its claim ends with the invocation), and Lambda starts the next invocation two minutes
    late: another adoption went through meanwhile. The first one gives way: one winner."""
    team_a = {**BOTH, "Tags": tags(team="a")}
    arn = stack.create(team_a, stack_id=TEAM_A)["PhysicalResourceId"]
    west = another_deployment(WEST)
    west.timeout_seconds = 100
    control.set_transition_seconds(120)  # the Region addition takes two minutes
    event = west.event("Create", adopting_a_third_region("platform"), stack_id=PLATFORM)
    west.invoke(event)  # claims, converges, hands off while the Region is being added
    [continuation] = west.continuations
    west.continuations.clear()
    stack.clock.now += 120  # the continuation starts two minutes late; meanwhile:
    control.advance_clock(120)
    third = STACK_ID.replace("stack/incidents/", "stack/third/")
    other = stack.create({**BOTH, "AdoptExisting": "true"}, stack_id=third)
    assert other == success(other, arn)
    gave_way = west.send(continuation)
    assert (gave_way["Status"], gave_way["PhysicalResourceId"]) == ("FAILED", arn)
    assert gave_way["Reason"] == (
        f"Replication set {arn} was adopted by resource ReplicationSet of stack third "
        f"({third}) while this adoption was under way; this one gives way. Retry the stack "
        "operation to adopt it after that one."
    )
    line = ((TEAM_A, "ReplicationSet"),)
    assert replication_set(arn)["tags"] == marked({}, third, line=line)
    # its rollback's Delete leaves the set to the winner
    assert deleted_by(west, arn, event["ResourceProperties"], stack_id=PLATFORM)["Status"] == (
        "SUCCESS"
    )
    assert replication_set(arn)["tags"] == marked({}, third, line=line)


def test_expired_claims_at_the_tag_limit_are_cleared_rather_than_waited_on(
    stack: Stack,
) -> None:
    """47 tags of the template, the manager's, and two claims left by invocations Lambda ended:
    50, so no claim fits. The expired ones are removed, and the Delete goes on."""
    arn = stack.create({**BOTH, "Tags": tags(**{f"k{n}": "v" for n in range(47)})})[
        "PhysicalResourceId"
    ]
    past = str(int(stack.clock.now) - 1)
    boto3.client("ssm-incidents", region_name="us-east-1").tag_resource(
        resourceArn=arn, tags={f"{CLAIM}aaaaaaaaaaaaaaaa": past, f"{CLAIM}bbbbbbbbbbbbbbbb": past}
    )
    assert stack.delete(arn, BOTH)["Status"] == "SUCCESS" and all_sets() == []


def test_a_set_with_fifty_tags_of_its_own_fails_saying_which_to_remove(stack: Stack) -> None:
    """Made by hand (or kept by an earlier version, which allowed 50): the provider's claim
    would be the 51st tag. The Reason says so and how to make room; nothing changed."""
    own = {f"k{n:02}": "v" for n in range(50)}
    arn = boto3.client("ssm-incidents", region_name="us-east-1").create_replication_set(
        regions={"us-east-1": {}, WEST: {}}, tags=own
    )["arn"]
    answer = stack.create({**BOTH, "AdoptExisting": "true"}, stack_id=PLATFORM)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"Replication set {arn} has 50 tags of its own; the provider keeps up to 3 of Incident "
        "Manager's 50 to record who manages it (keys 'IncidentReplicationSetProvider:*'), so a "
        "set may have at most 47; nothing was changed. Remove 3 by hand (tags added outside the "
        "stack first), for example: aws ssm-incidents untag-resource --resource-arn "
        f"{arn} --tag-keys k47 k48 k49 --region us-east-1; then retry."
    )
    assert replication_set(arn)["tags"] == own


def test_adopting_a_set_with_forty_nine_tags_of_its_own_is_refused_before_any_change(
    stack: Stack,
) -> None:
    """The claim would fit (49 and 1), but the adoption's rollback could not put 49 back beside
    the provider's marks: refused up front, with the same way out."""
    own = {f"k{n:02}": "v" for n in range(49)}
    arn = boto3.client("ssm-incidents", region_name="us-east-1").create_replication_set(
        regions={"us-east-1": {}, WEST: {}}, tags=own
    )["arn"]
    control.reset_call_counts()
    answer = stack.create({**BOTH, "AdoptExisting": "true"}, stack_id=PLATFORM)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(f"Replication set {arn} has 49 tags of its own;")
    assert "--tag-keys k47 k48 --region us-east-1; then retry." in answer["Reason"]
    assert replication_set(arn)["tags"] == own  # the claim came and went
    assert control.mutating_calls() == {
        "CreateReplicationSet": 1,
        "TagResource": 1,
        "UntagResource": 1,
    }


def test_an_earlier_versions_line_is_read_even_while_the_set_is_changing(stack: Stack) -> None:
    """The set is in a change (a Region being added) when the first stack's Delete comes: the
    Delete waits for it, moves the earlier version's line onto it, and leaves it."""
    arn = boto3.client("ssm-incidents", region_name="us-east-1").create_replication_set(
        regions={"us-east-1": {}, WEST: {}}
    )["arn"]
    write_legacy_line(arn, [(STACK_ID, "ReplicationSet"), (PLATFORM, "ReplicationSet")])
    control.set_transition_seconds(30)
    boto3.client("ssm-incidents", region_name="us-east-1").update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
    )
    assert stack.delete(arn, BOTH)["Status"] == "SUCCESS"
    assert all_sets() == [arn]
    assert replication_set(arn)["tags"] == marked({}, PLATFORM)


def test_an_adoption_whose_marks_cannot_be_written_puts_back_what_it_changed(
    stack: Stack, another_deployment: MakeDeployment
) -> None:
    team_a = {**BOTH, "DeletionProtected": "true", "Tags": tags(team="a")}
    arn = stack.create(team_a, stack_id=TEAM_A)["PhysicalResourceId"]
    west = another_deployment(WEST)
    adopt = {**BOTH, "AdoptExisting": "true", "Tags": tags(team="platform")}
    # the claim and the adoption's own retag go through; the marks' TagResource is refused
    control.inject_fault("TagResource", "AccessDeniedException", after=2)
    answer = west.create(adopt, stack_id=PLATFORM)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", arn)
    assert answer["Reason"].startswith("TagResource failed with AccessDeniedException")
    assert answer["Reason"].endswith(" What the adoption changed was put back.")
    after = replication_set(arn)
    assert (after["deletionProtected"], after["tags"]) == (True, marked({"team": "a"}, TEAM_A))
