"""Incident Manager (ssm-incidents) for moto, its server mode and the local stack runner.

Importing this package registers the service with moto, so ``boto3.client("ssm-incidents")``
works inside ``moto.mock_aws()``. Development and test only: nothing here ships in the Lambda.
"""

from . import control  # noqa: F401 - attaches the test controls to every new backend
from .registration import register

register()

__all__ = ["register"]
