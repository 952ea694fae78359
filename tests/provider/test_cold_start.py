"""Nothing is paid at import or on the first request that the request does not need."""

import os
import subprocess
import sys

import boto3
import pytest

from provider.crhelper_seam import CrhelperSeam
from provider.logs import RedactUrls
from tests.provider.conftest import Stack
from tests.provider.test_create import ONE_REGION


def test_the_crhelper_instance_builds_no_aws_client(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    monkeypatch.setattr(boto3, "client", lambda name, *args, **kwargs: built.append(name))
    CrhelperSeam(RedactUrls())
    assert built == []  # crhelper's polling clients would cost 100 ms of the first request
    assert "AWS_SAM_LOCAL" not in os.environ


def test_importing_the_handler_builds_no_client_and_no_crhelper_instance() -> None:
    check = (
        "import boto3, botocore.client\n"
        "made = []\n"
        "original = botocore.client.ClientCreator.create_client\n"
        "def spy(*args, **kwargs):\n"
        "    made.append(args)\n"
        "    return original(*args, **kwargs)\n"
        "botocore.client.ClientCreator.create_client = spy\n"
        "import provider.app as app\n"
        "assert made == [], made\n"
        "assert app.lambda_handler.crhelper is None\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize("removal_rule", ["removals-any-time"])
def test_building_the_handler_keeps_a_sam_local_flag_it_found(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SAM_LOCAL", "yes")  # sam local invoke sets it
    assert stack.create(ONE_REGION)["Status"] == "SUCCESS"  # crhelper was built
    assert os.environ["AWS_SAM_LOCAL"] == "yes"
