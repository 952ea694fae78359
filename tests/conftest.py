"""Shared fixtures: fake credentials, a loopback-only network, and the emulator under mock_aws."""

import functools
import io
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.loaders import Loader, create_loader
from moto import mock_aws
from moto.kms.utils import generate_private_key
from mypy_boto3_kms import KMSClient
from mypy_boto3_ssm_incidents import SSMIncidentsClient

import emulator  # noqa: F401  (registers ssm-incidents with moto)
from emulator import control
from provider.settings import SERVICE

REGION = "us-east-1"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYTESTSECRETKEY"
#: What must never reach a log: the presigned URL's query, credentials, a KMS key policy.
SECRETS = (
    "X-Amz-Signature",
    "X-Amz-Credential",
    "AKIAIOSFODNN7EXAMPLE",
    SECRET_KEY,
    "FOOBARSECRET",  # the secret key moto puts in the environment inside mock_aws
    "IncidentManagerUsesTheKeyForThisAccount",  # a Sid of the example's key policy
)
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


#: What `make test` leaves to `make test-long` (marker ``long``, pyproject.toml): whole stacks,
#: the project's commands run in subprocesses or against a server, the builds, and the
#: randomized lifecycles. A path names a folder or a file of tests/; a test added below it is
#: long too. CI runs both targets, so every test runs in exactly one of them.
LONG = (
    "stack",  # whole stack lifecycles through local_cloudformation, and its CLI
    "bench",  # `make bench`'s smoke run
    "deploy/test_sam.py",  # `sam build` and `sam validate --lint`
    "deploy/test_package.py",  # `make package`: pip and the zip, in subprocesses
    "emulator/test_server.py",  # the emulator as a server, the AWS CLI against it
    "provider/test_lifecycle_machine.py",  # hypothesis's randomized stack lifecycles
)
TESTS = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        path = item.path.relative_to(TESTS).as_posix()
        if any(path == long or path.startswith(f"{long}/") for long in LONG):
            item.add_marker(pytest.mark.long)


@pytest.fixture(autouse=True, scope="session")
def _fake_credentials() -> None:
    """No test may find, or need, real AWS credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """Fail any test that opens a connection beyond 127.0.0.1."""
    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise OSError(f"test tried to reach {host}: only loopback is allowed")
        return original(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True, scope="session")
def _botocore_data_read_once() -> Iterator[None]:
    """Each botocore session reads botocore's data anew through a loader of its own (the JSON
    of endpoints.json and every service model, listing its folders), and every test makes two
    sessions: mock_aws starts without boto3's default session, and the provider makes its own.
    That was a third of the suite's time. The data does not change while the tests run, so
    the sessions of one process share one loader, which reads each file once."""
    loaders: dict[str | None, Loader] = {}

    def shared_loader(search_path_string: str | None = None) -> Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = create_loader(search_path_string)
        return loaders[search_path_string]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("botocore.session.create_loader", shared_loader)
        yield


@pytest.fixture(autouse=True, scope="session")
def _kms_key_pairs_made_once() -> Iterator[None]:
    """moto's KMS makes an RSA key pair for every key it creates, symmetric ones included
    (60 ms each), and most tests create one: the records table's DynamoDB key, the kms_key
    fixture's. The pair serves only Sign, Verify and GetPublicKey, which nothing here calls
    (Incident Manager takes symmetric keys only), so the keys of one spec share one pair."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("moto.kms.models.generate_private_key", functools.cache(generate_private_key))
        yield


@pytest.fixture(autouse=True)
def _no_secrets_in_logs() -> Iterator[None]:
    """Every test doubles as a leak check: nothing any logger emits may carry a secret."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    watched = [logging.getLogger(), logging.getLogger(SERVICE)]
    for logger in watched:
        logger.addHandler(handler)
    yield
    for logger in watched:
        logger.removeHandler(handler)
    leaked = leaked_secrets(stream.getvalue())
    assert not leaked, f"secrets reached the logs: {leaked}"


def leaked_secrets(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture(autouse=True)
def _fresh_controls() -> Iterator[None]:
    """Faults, counts, the clock, transitions and assumed rules start at their defaults."""
    control.reset()
    yield
    control.reset()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def incidents(aws: None) -> SSMIncidentsClient:
    """An ssm-incidents client that does not retry, so tests see each error as sent."""
    return boto3.client("ssm-incidents", region_name=REGION, config=NO_RETRY)


@pytest.fixture
def raw_incidents(aws: None) -> SSMIncidentsClient:
    """A client without botocore's own checks, to reach the service-side validation."""
    config = NO_RETRY.merge(Config(parameter_validation=False))
    return boto3.client("ssm-incidents", region_name=REGION, config=config)


@pytest.fixture
def kms_key(aws: None) -> Any:
    """Make an enabled customer managed key in a region; returns its ARN."""

    def make(region: str = REGION) -> str:
        kms: KMSClient = boto3.client("kms", region_name=region)
        return kms.create_key(Description=f"incident manager {region}")["KeyMetadata"]["Arn"]

    return make
