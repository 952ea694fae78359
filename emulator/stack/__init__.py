"""The local stack runner: CloudFormation's lifecycle for custom resources, on the emulator."""
