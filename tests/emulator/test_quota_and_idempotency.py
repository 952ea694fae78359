"""One replication set per account, and clientToken idempotency."""

from mypy_boto3_ssm_incidents import SSMIncidentsClient

from tests.aws_errors import raises_aws


def test_second_set_is_refused_with_service_quota_exceeded(
    incidents: SSMIncidentsClient,
) -> None:
    first = incidents.create_replication_set(regions={"us-east-1": {}}, clientToken="one")["arn"]
    with raises_aws("ServiceQuotaExceededException", 402, "one already exists") as caught:
        incidents.create_replication_set(
            regions={"us-east-1": {}, "us-east-2": {}}, clientToken="two"
        )
    assert caught.value.response["serviceCode"] == "ssm-incidents"  # type: ignore[typeddict-item]
    assert caught.value.response["quotaCode"]  # type: ignore[typeddict-item]
    assert incidents.list_replication_sets()["replicationSetArns"] == [first]


def test_same_token_and_request_returns_the_same_arn_and_creates_nothing(
    incidents: SSMIncidentsClient,
) -> None:
    request = {"regions": {"us-east-1": {}}, "tags": {"team": "sre"}, "clientToken": "tok"}
    first = incidents.create_replication_set(**request)["arn"]  # type: ignore[arg-type]
    again = incidents.create_replication_set(**request)["arn"]  # type: ignore[arg-type]
    assert again == first
    assert incidents.list_replication_sets()["replicationSetArns"] == [first]


def test_same_token_with_a_different_request_is_a_conflict(
    incidents: SSMIncidentsClient,
) -> None:
    first = incidents.create_replication_set(regions={"us-east-1": {}}, clientToken="tok")["arn"]
    with raises_aws("ConflictException", 409, "tok"):
        incidents.create_replication_set(
            regions={"us-east-1": {}, "us-east-2": {}}, clientToken="tok"
        )
    assert incidents.list_replication_sets()["replicationSetArns"] == [first]


def test_a_new_set_can_be_created_after_the_old_one_is_deleted(
    incidents: SSMIncidentsClient,
) -> None:
    first = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    incidents.delete_replication_set(arn=first)
    second = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    assert second != first
    assert incidents.list_replication_sets()["replicationSetArns"] == [second]
