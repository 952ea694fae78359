"""Delivering the answer: bounded retries on refused connections and 5xx, none on 4xx, and
only to CloudFormation's S3 response URLs (or an origin explicitly allowed)."""

import socket
import threading
from contextlib import ExitStack
from typing import Any

import pytest

from local_cloudformation.protocol import SECRET_QUERY, response_endpoint
from provider.responder import redact_text, send
from provider.response_url import allowed
from provider.settings import settings
from tests.provider.conftest import CapturedLogs, Stack
from tests.provider.test_create import ONE_REGION, all_sets


def test_5xx_answers_are_retried_until_delivered(stack: Stack) -> None:
    stack.endpoint.failures[:] = [503, 500]
    response = stack.create(ONE_REGION)
    assert response["Status"] == "SUCCESS"
    assert stack.endpoint.attempts == 3
    assert stack.clock.slept[-2:] == [1.0, 2.0]  # backoff between attempts


def test_an_endpoint_that_always_fails_is_given_up_after_four_attempts(
    stack: Stack, logs: CapturedLogs
) -> None:
    stack.endpoint.failures[:] = [503] * 20
    stack.invoke(stack.event("Create", ONE_REGION))
    assert stack.endpoint.attempts == 4  # 4 tries of 5 s and their waits fit the 30 s reserve
    assert stack.endpoint.deliveries == []
    assert stack.clock.slept[-3:] == [1.0, 2.0, 4.0]
    assert "gave up sending the response" in logs.provider.getvalue()
    assert (
        len(all_sets()) == 1
    )  # the work itself was done; a retried stack operation adopts nothing


def test_a_4xx_answer_is_final(stack: Stack, logs: CapturedLogs) -> None:
    stack.endpoint.failures[:] = [403]
    stack.invoke(stack.event("Create", ONE_REGION))
    assert stack.endpoint.attempts == 1
    assert "refused the response with HTTP 403; not retrying" in logs.provider.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_refused_connections_are_retried_until_the_endpoint_listens(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("PROVIDER_RESPONSE_ORIGINS", f"http://127.0.0.1:{port}")
    settings.cache_clear()
    late: dict[str, Any] = {}
    listening = threading.Event()
    with ExitStack() as later:

        def sleep(seconds: float) -> None:
            stack.clock.slept.append(seconds)
            if len(stack.clock.slept) == 2 and not listening.is_set():  # after two refusals
                late["endpoint"] = later.enter_context(response_endpoint(port))
                listening.set()

        monkeypatch.setattr(stack.runtime, "sleep", sleep)
        event = stack.event("Create", ONE_REGION)
        event["ResponseURL"] = event["ResponseURL"].replace(
            stack.endpoint.origin, f"http://127.0.0.1:{port}"
        )
        stack.invoke(event)
        answers = late["endpoint"].for_request(event["RequestId"])
    assert [a["Status"] for a in answers] == ["SUCCESS"]


def test_an_endpoint_that_never_listens_is_given_up(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, logs: CapturedLogs
) -> None:
    port = free_port()
    monkeypatch.setenv("PROVIDER_RESPONSE_ORIGINS", f"http://127.0.0.1:{port}")
    settings.cache_clear()
    event = stack.event("Create", ONE_REGION)
    event["ResponseURL"] = event["ResponseURL"].replace(
        stack.endpoint.origin, f"http://127.0.0.1:{port}"
    )
    stack.invoke(event)  # returns: no endless retry
    assert stack.clock.slept[-3:] == [1.0, 2.0, 4.0]
    assert "gave up sending the response" in logs.provider.getvalue()


def test_a_response_url_off_the_allow_list_gets_nothing(stack: Stack, logs: CapturedLogs) -> None:
    event = stack.event("Create", {"Regions": []})
    event["ResponseURL"] = f"https://collector.example.com/cfn?{SECRET_QUERY}"
    stack.invoke(event)
    assert stack.endpoint.attempts == 0
    text = logs.provider.getvalue()
    assert "refusing to send the response to https://collector.example.com/cfn" in text
    assert "X-Amz-Signature" not in text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k?x=1", True),
        (
            "https://cloudformation-custom-resource-response-uswest2.s3-us-west-2.amazonaws.com/k",
            True,
        ),
        ("https://s3.eu-west-1.amazonaws.com/bucket/key", False),  # anyone's bucket
        (
            "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/k",
            True,
        ),
        ("http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k", False),
        ("https://s3.amazonaws.com.example.com/k", False),
        ("https://example.com/s3.amazonaws.com", False),
        ("https://lambda.us-east-1.amazonaws.com/k", False),
        ("http://127.0.0.1:8080/k", False),
    ],
)
def test_only_s3_response_urls_are_allowed_by_default(url: str, expected: bool) -> None:
    assert allowed(url) is expected


def test_an_explicitly_allowed_origin_is_accepted() -> None:
    assert allowed("http://127.0.0.1:8080/k?a=b", ["http://127.0.0.1:8080"])
    assert not allowed("http://127.0.0.1:8081/k", ["http://127.0.0.1:8080"])


def test_an_invocation_answers_once_even_when_crhelpers_timer_answered_first(stack: Stack) -> None:
    event = stack.event("Create", {"Regions": []})
    stack.invoke(event)
    crhelper = stack.handler.crhelper
    assert crhelper is not None
    crhelper._send("FAILED", "Execution timed out")  # what crhelper's timer would send late
    answers = stack.endpoint.for_request(event["RequestId"])
    assert [a["Status"] for a in answers] == ["FAILED"]
    assert answers[0]["Reason"] == "Regions: at least 1 region is required, got 0"


def test_a_certificate_the_provider_does_not_trust_gets_no_response(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, logs: CapturedLogs
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")  # the endpoint's authority is no longer trusted
    stack.invoke(stack.event("Create", {"Regions": []}))
    assert stack.endpoint.deliveries == []
    assert "CERTIFICATE_VERIFY_FAILED" in logs.provider.getvalue()
    assert "gave up sending the response" in logs.provider.getvalue()


def garbage_server(reply: bytes) -> tuple[socket.socket, threading.Thread, list[int]]:
    """A listener that answers every connection with ``reply`` (not HTTP), then closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    accepted: list[int] = []

    def serve() -> None:
        while listener.fileno() != -1:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            with connection:
                connection.recv(65536)
                connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread, accepted


@pytest.mark.parametrize(
    ("reply", "error"),
    [(b"NOT HTTP AT ALL\r\n\r\n", "BadStatusLine"), (b"", "RemoteDisconnected")],
)
def test_http_client_errors_are_retried_and_given_up_like_connection_errors(
    logs: CapturedLogs, reply: bytes, error: str
) -> None:
    listener, thread, accepted = garbage_server(reply)
    origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
    slept: list[float] = []
    try:
        delivered = send(
            f"{origin}/bucket/key?{SECRET_QUERY}",
            {"Status": "SUCCESS"},
            extra_origins=[origin],
            sleep=slept.append,
        )
    finally:
        listener.close()
        thread.join()
    assert delivered is False and len(accepted) == 4 and slept == [1.0, 2.0, 4.0]
    text = logs.provider.getvalue()
    assert f"failed ({error}" in text and "gave up sending the response" in text


def test_an_invalid_url_is_given_up_and_its_query_never_logged(logs: CapturedLogs) -> None:
    origin = "http://127.0.0.1:9"
    url = f"{origin}/bucket/a key?{SECRET_QUERY}"  # http.client refuses the space (InvalidURL)
    assert send(url, {"Status": "SUCCESS"}, extra_origins=[origin], sleep=lambda _: None) is False
    text = logs.everything.getvalue()
    assert "InvalidURL" in text and "gave up sending the response" in text
    assert "X-Amz-Signature" not in text and "X-Amz-Credential" not in text


def test_redaction_covers_a_url_without_its_scheme_and_bare_presigned_parameters() -> None:
    quoted = f"URL can't contain control characters. '/bucket/a key?{SECRET_QUERY}'"
    assert redact_text(quoted) == "URL can't contain control characters. '/bucket/a key?<redacted>'"
    assert "X-Amz" not in redact_text(f"{SECRET_QUERY}").replace("X-Amz-<redacted>", "")
