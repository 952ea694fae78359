"""Waiting out what passes (provider.waiting), on a fake clock: which errors are waited out for
which calls, and how a wait ends: the call answers, the invocation hands off, or the deadline
ends the request with a Reason that names the call."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.retries.standard import ThrottledRetryableChecker, TransientRetryableChecker

from provider import waiting
from provider.errors import Handoff, ServiceFailure
from provider.kms import KmsApi
from provider.waiting import Budget, patiently

START = 1_800_000_000.0


@dataclass
class Time:
    """Lambda's clock: the request's deadline ``deadline`` seconds away, ``lambda_seconds`` of
    invocation time; sleeping moves both."""

    deadline: float = 3300
    lambda_seconds: float = 900
    now: float = START
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def budget(self) -> Budget:
        return Budget(
            deadline=START + self.deadline,
            remaining_ms=lambda: int((START + self.lambda_seconds - self.now) * 1000),
            clock=lambda: self.now,
            sleep=self.sleep,
        )


def aws_error(code: str, status: int, operation: str = "GetReplicationSet") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "injected"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


THROTTLED = aws_error("ThrottlingException", 400)
INTERNAL = aws_error("InternalServerException", 500)
DENIED = aws_error("AccessDeniedException", 403)
LOST = EndpointConnectionError(endpoint_url="https://ssm-incidents.us-east-1.amazonaws.com")
TIMED_OUT = ReadTimeoutError(endpoint_url="https://ssm-incidents.us-east-1.amazonaws.com")


def failing(times: int, error: Exception) -> Callable[[], str]:
    """A call that fails ``times`` times with ``error``, then answers "done"."""
    left = [times]

    def call() -> str:
        if left[0] > 0:
            left[0] -= 1
            raise error
        return "done"

    return call


def patient(
    call: Callable[[], str], time: Time, operation: str = "GetReplicationSet", *, mutating: bool
) -> str:
    """``call`` through provider.waiting, on ``time``'s budget, as Incident Manager's."""
    return patiently(
        call, time.budget(), operation=operation, service="Incident Manager", mutating=mutating
    )


@pytest.fixture(autouse=True)
def _whole_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """No jitter: each wait is its whole delay, so that the waits read plainly."""
    monkeypatch.setattr(waiting, "jittered", lambda delay: delay)


def test_the_codes_are_botocores_own() -> None:
    """What botocore's standard mode calls throttling and transient, so that a change there
    shows here."""
    assert set(vars(ThrottledRetryableChecker)["_THROTTLED_ERROR_CODES"]) == waiting.THROTTLING
    transient = vars(TransientRetryableChecker())
    assert set(transient["_transient_error_codes"]) == waiting.TRANSIENT_CODES
    assert set(transient["_transient_status_codes"]) == waiting.TRANSIENT_STATUSES
    assert transient["_transient_exception_cls"] == waiting.LOST_CONNECTION


@pytest.mark.parametrize(
    ("error", "read", "mutating"),
    [
        (THROTTLED, "throttled", "throttled"),
        (INTERNAL, "unavailable", None),
        (aws_error("ServiceUnavailable", 503), "unavailable", None),
        (LOST, "unavailable", None),
        (TIMED_OUT, "unavailable", None),
        (DENIED, None, None),
        (aws_error("ConflictException", 409), None, None),
        (aws_error("ValidationException", 400), None, None),
    ],
)
def test_reads_wait_out_throttling_5xx_and_lost_connections_changes_only_throttling(
    error: Exception, read: str | None, mutating: str | None
) -> None:
    assert waiting.passing(error, mutating=False) == read
    assert waiting.passing(error, mutating=True) == mutating


def test_a_throttled_call_is_made_again_after_waits_that_double_up_to_20_s() -> None:
    time = Time()
    call = failing(8, THROTTLED)
    answer = patient(call, time, "TagResource", mutating=True)
    assert answer == "done"
    assert time.slept == [1, 2, 4, 8, 16, 20, 20, 20]


def test_a_read_waits_out_5xx_and_lost_connections() -> None:
    time = Time()
    for error in (INTERNAL, LOST, TIMED_OUT):
        answer = patient(failing(3, error), time, "GetReplicationSet", mutating=False)
        assert answer == "done"


@pytest.mark.parametrize("error", [INTERNAL, LOST])
def test_a_change_that_may_have_been_applied_is_not_made_again(error: Exception) -> None:
    time = Time()
    with pytest.raises(type(error)):
        patient(failing(1, error), time, "UpdateReplicationSet", mutating=True)
    assert time.slept == []


def test_an_error_waiting_cannot_fix_ends_the_call_at_once() -> None:
    time = Time()
    with pytest.raises(ClientError):
        patient(failing(1, DENIED), time, "GetReplicationSet", mutating=False)
    assert time.slept == []


def test_without_a_budget_the_call_is_made_once() -> None:
    with pytest.raises(ClientError):
        patiently(
            failing(1, THROTTLED),
            None,
            operation="GetReplicationSet",
            service="Incident Manager",
            mutating=False,
        )


def test_throttling_past_the_deadline_ends_with_a_reason_that_names_the_call() -> None:
    time = Time(deadline=100)
    with pytest.raises(ServiceFailure) as failure:
        patient(failing(1000, THROTTLED), time, "DeleteReplicationSet", mutating=True)
    assert time.slept == [1, 2, 4, 8, 16, 20, 20, 20]  # a 9th wait would pass the deadline
    assert failure.value.code == "ThrottlingException"
    assert failure.value.reason == (
        "Incident Manager throttled DeleteReplicationSet (ThrottlingException: injected) until "
        "the provider's deadline (PROVIDER_DEADLINE_SECONDS, or the resource's ServiceTimeout): "
        "each of its last 9 tries, over 91 s; retry the stack operation once fewer calls are "
        "made to Incident Manager in this account (another tool may be calling it in a loop), "
        "or ask AWS for a higher request quota"
    )


def test_a_service_unavailable_past_the_deadline_says_so() -> None:
    time = Time(deadline=10)
    with pytest.raises(ServiceFailure) as failure:
        patient(failing(1000, LOST), time, "GetReplicationSet", mutating=False)
    assert failure.value.code is None
    assert failure.value.reason.startswith(
        "Incident Manager was unavailable for GetReplicationSet (Could not connect to the "
        'endpoint URL: "https://ssm-incidents.us-east-1.amazonaws.com") until the provider\'s '
        "deadline (PROVIDER_DEADLINE_SECONDS, or the resource's ServiceTimeout): each of its "
        "last 4 tries, over 7 s; "
    )
    assert failure.value.reason.endswith(
        "retry the stack operation once Incident Manager answers again (the AWS Health "
        "Dashboard shows service events)"
    )


def test_when_lambda_time_runs_short_the_invocation_hands_off() -> None:
    time = Time(lambda_seconds=40)  # 10 s above the 30 s reserve
    with pytest.raises(Handoff):
        patient(failing(1000, THROTTLED), time, "GetReplicationSet", mutating=False)
    assert time.slept == [1, 2, 4]  # the next wait (8 s) would leave less than the reserve
    assert START + 40 - time.now >= 30


def test_kms_within_a_budget_waits_out_throttled_describe_key() -> None:
    time = Time()
    metadata = {
        "Arn": "arn:aws:kms:us-east-1:111122223333:key/k",
        "KeyState": "Enabled",
    }
    answer = failing(3, aws_error("ThrottlingException", 400, "DescribeKey"))

    class Client:
        def describe_key(self, KeyId: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
            answer()
            return {"KeyMetadata": metadata}

    kms = KmsApi(lambda region: Client())  # type: ignore[arg-type,return-value]
    with pytest.raises(ServiceFailure, match="DescribeKey of k in us-east-1 failed with Thr"):
        kms.describe("us-east-1", "k")  # without a budget: botocore's attempts only
    facts = kms.within(time.budget()).describe("us-east-1", "k")
    assert facts is not None and facts.arn == metadata["Arn"]
    assert time.slept == [1, 2]
