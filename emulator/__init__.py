"""Incident Manager (ssm-incidents) for moto, its server mode and the local stack runner.

Importing this package registers the service with moto, so ``boto3.client("ssm-incidents")``
works inside ``moto.mock_aws()``. Development and test only: nothing here ships in the Lambda.
"""

from . import client_hooks, clock
from .registration import register

register()
client_hooks.install()  # faults and call counts of this process's clients (emulator.control)
clock.install()  # the movable clock of in-process tests (emulator.control.advance_clock)

__all__ = ["register"]
