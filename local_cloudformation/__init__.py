"""The local stack runner: CloudFormation's lifecycle for custom resources, on the emulator.

It runs the provider's real handler in-process against the ssm-incidents emulator (importing
``emulator`` registers it with moto). The emulator itself knows nothing of the provider.
"""

import emulator  # noqa: F401 - registers ssm-incidents with moto
