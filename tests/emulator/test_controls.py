"""The in-process test controls (emulator.control) that moto's own API has no equal for:
the movable clock, the assumed rules' switches and the refusal of faults the model does
not declare. The service's behaviour is tested moto's way in tests/test_ssmincidents."""

import json
import os
from typing import Any

import boto3
import pytest
from botocore.model import OperationModel
from moto.moto_api import state_manager
from mypy_boto3_ssm_incidents import SSMIncidentsClient
from mypy_boto3_ssm_incidents.type_defs import (
    UpdateReplicationSetActionTypeDef as Action,
)

from emulator import control
from emulator.ssmincidents.models import (
    FAILED_REGION_REMOVABLE_ENV,
    REMOVAL_MIN_AGE_ENV,
    TRANSITION_MODEL,
)
from tests.aws_errors import raises_aws

SECONDS = 30
DAY = 86400
SWITCHES = (REMOVAL_MIN_AGE_ENV, FAILED_REGION_REMOVABLE_ENV)
IMMEDIATE = {"progression": "immediate"}
ADD_EU: list[Action] = [{"addRegionAction": {"regionName": "eu-west-1"}}]
REMOVE_EU: list[Action] = [{"deleteRegionAction": {"regionName": "eu-west-1"}}]


def statuses(client: SSMIncidentsClient, arn: str) -> tuple[str, dict[str, str]]:
    found = client.get_replication_set(arn=arn)["replicationSet"]
    regions = found["regionMap"].items()
    return found["status"], {name: region["status"] for name, region in regions}


def create(client: SSMIncidentsClient, *regions: str) -> str:
    return client.create_replication_set(regions={r: {} for r in regions})["arn"]


def test_a_change_lasts_the_transition_seconds_on_the_movable_clock(
    incidents: SSMIncidentsClient,
) -> None:
    control.set_transition_seconds(SECONDS)
    arn = create(incidents, "us-east-1", "us-east-2")
    creating = {"us-east-1": "CREATING", "us-east-2": "CREATING"}
    assert statuses(incidents, arn) == ("CREATING", creating)
    control.advance_clock(SECONDS - 1)
    assert statuses(incidents, arn)[0] == "CREATING"
    control.advance_clock(1)
    active = {"us-east-1": "ACTIVE", "us-east-2": "ACTIVE"}
    assert statuses(incidents, arn) == ("ACTIVE", active)


def test_a_deletion_lasts_the_transition_seconds_on_the_movable_clock(
    incidents: SSMIncidentsClient,
) -> None:
    arn = create(incidents, "us-east-1")
    assert statuses(incidents, arn)[0] == "ACTIVE"
    control.set_transition_seconds(SECONDS)
    incidents.delete_replication_set(arn=arn)
    control.advance_clock(SECONDS - 1)
    assert statuses(incidents, arn) == ("DELETING", {"us-east-1": "DELETING"})
    control.advance_clock(1)
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_transition_seconds_of_zero_are_moto_s_immediate_progression(aws: None) -> None:
    control.set_transition_seconds(SECONDS)
    assert state_manager.get_transition(TRANSITION_MODEL)["seconds"] == SECONDS
    control.set_transition_seconds(0)
    assert state_manager.get_transition(TRANSITION_MODEL) == IMMEDIATE
    with pytest.raises(ValueError, match="negative"):
        control.set_transition_seconds(-1)


def test_an_update_moves_last_modified_by_the_time_on_the_clock(
    incidents: SSMIncidentsClient,
) -> None:
    arn = create(incidents, "us-east-1")
    before = incidents.get_replication_set(arn=arn)["replicationSet"]
    control.advance_clock(60)
    incidents.update_deletion_protection(arn=arn, deletionProtected=True)
    after = incidents.get_replication_set(arn=arn)["replicationSet"]
    assert after["createdTime"] == before["createdTime"]
    moved = after["lastModifiedTime"] - before["lastModifiedTime"]
    assert moved.total_seconds() >= 60


def test_with_the_day_rule_an_added_region_can_go_exactly_a_day_later(
    incidents: SSMIncidentsClient,
) -> None:
    control.set_region_removal_min_age(DAY)
    arn = create(incidents, "us-east-1")
    incidents.update_replication_set(arn=arn, actions=ADD_EU)
    control.advance_clock(DAY - 1)
    with raises_aws("ValidationException", 400, "eu-west-1", "86400 seconds"):
        incidents.update_replication_set(arn=arn, actions=REMOVE_EU)
    assert statuses(incidents, arn)[1] == {"us-east-1": "ACTIVE", "eu-west-1": "ACTIVE"}
    control.advance_clock(1)
    incidents.update_replication_set(arn=arn, actions=REMOVE_EU)
    assert statuses(incidents, arn) == ("ACTIVE", {"us-east-1": "ACTIVE"})


def test_with_the_day_rule_the_initial_regions_can_go_a_day_after_the_creation(
    incidents: SSMIncidentsClient,
) -> None:
    control.set_region_removal_min_age(DAY)
    arn = create(incidents, "us-east-1", "eu-west-1")
    with raises_aws("ValidationException", 400, "eu-west-1"):
        incidents.update_replication_set(arn=arn, actions=REMOVE_EU)
    control.advance_clock(DAY)
    incidents.update_replication_set(arn=arn, actions=REMOVE_EU)
    assert statuses(incidents, arn) == ("ACTIVE", {"us-east-1": "ACTIVE"})


def test_the_rule_switches_set_the_service_s_variables_and_reset_restores_them(
    aws: None,
) -> None:
    before = {name: os.environ.get(name) for name in SWITCHES}
    control.set_region_removal_min_age(600)
    control.set_failed_region_removable(True)
    assert os.environ[REMOVAL_MIN_AGE_ENV] == "600"
    assert os.environ[FAILED_REGION_REMOVABLE_ENV] == "true"
    control.set_failed_region_removable(False)
    assert os.environ[FAILED_REGION_REMOVABLE_ENV] == "false"
    with pytest.raises(ValueError, match="negative"):
        control.set_region_removal_min_age(-1)
    control.reset()
    assert {name: os.environ.get(name) for name in SWITCHES} == before


def test_reset_puts_the_clock_and_the_transitions_back(
    incidents: SSMIncidentsClient,
) -> None:
    control.set_transition_seconds(SECONDS)
    control.advance_clock(DAY)
    control.reset()
    assert state_manager.get_transition(TRANSITION_MODEL) == IMMEDIATE
    arn = create(incidents, "us-east-1")
    found = incidents.get_replication_set(arn=arn)["replicationSet"]
    assert found["status"] == "ACTIVE"
    age = found["lastModifiedTime"] - found["createdTime"]
    assert age.total_seconds() < 60


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("GetReplicationSet", "ConflictException"),
        ("DeleteReplicationSet", "ConflictException"),
        ("UpdateDeletionProtection", "ConflictException"),
        ("ListReplicationSets", "ResourceNotFoundException"),
        ("ListTagsForResource", "ServiceQuotaExceededException"),
    ],
)
def test_faults_the_model_does_not_declare_cannot_be_injected(
    aws: None, operation: str, code: str
) -> None:
    refusal = f"cannot inject '{code}': {operation} answers only"
    with pytest.raises(ValueError, match=refusal):
        control.inject_fault(operation, code)


def test_an_injected_fault_answers_with_the_model_s_error_shape(
    incidents: SSMIncidentsClient,
) -> None:
    bodies: list[dict[str, Any]] = []

    def keep(http_response: Any, model: OperationModel, **_: Any) -> None:
        bodies.append(json.loads(http_response.content))
        code = http_response.headers["x-amzn-errortype"]
        error: Any = model.service_model.shape_for(code)
        assert set(error.required_members) <= set(bodies[-1]) <= set(error.members)

    incidents.meta.events.register("after-call.ssm-incidents", keep)
    control.inject_fault("GetReplicationSet", "ThrottlingException", message="slow")
    arn = "arn:aws:ssm-incidents::123456789012:replication-set/x"
    with raises_aws("ThrottlingException", 429, "slow"):
        incidents.get_replication_set(arn=arn)
    throttled = {"serviceCode": "ssm-incidents", "quotaCode": "requests-per-second"}
    assert bodies == [{"message": "slow", **throttled}]


# -- found by review: when a change ends, and what the test's own checks consume -------------


def test_a_key_disabled_after_the_creation_ended_leaves_the_region_active(
    incidents: SSMIncidentsClient, kms_key: Any
) -> None:
    key = kms_key("us-east-1")
    arn = incidents.create_replication_set(regions={"us-east-1": {"sseKmsKeyId": key}})["arn"]
    kms = boto3.client("kms", region_name="us-east-1")
    kms.disable_key(KeyId=key.rsplit("/", 1)[-1])  # a day later, say: no read between
    assert statuses(incidents, arn) == ("ACTIVE", {"us-east-1": "ACTIVE"})


def test_a_region_is_stamped_when_its_creation_ended_not_when_it_was_read(
    incidents: SSMIncidentsClient,
) -> None:
    control.set_transition_seconds(SECONDS)
    arn = create(incidents, "us-east-1")
    created = incidents.get_replication_set(arn=arn)["replicationSet"]["createdTime"]
    control.advance_clock(3600)  # read an hour later
    region = incidents.get_replication_set(arn=arn)["replicationSet"]["regionMap"]["us-east-1"]
    assert region["status"] == "ACTIVE"
    assert (region["statusUpdateDateTime"] - created).total_seconds() == pytest.approx(
        SECONDS, abs=1
    )


def test_the_tests_own_uncounted_checks_meet_no_fault_and_run_no_after_call(
    incidents: SSMIncidentsClient,
) -> None:
    arn = create(incidents, "us-east-1")
    control.inject_fault("GetReplicationSet", "AccessDeniedException")
    ran: list[str] = []
    control.after_call("GetReplicationSet", lambda: ran.append("after"))
    assert control.replication_set() is not None  # the test's own check
    assert ran == [] and control.call_counts() == {"CreateReplicationSet": 1}
    with raises_aws("AccessDeniedException", 403):
        incidents.get_replication_set(arn=arn)  # the code under test meets the fault
    incidents.get_replication_set(arn=arn)
    assert ran == ["after"]
