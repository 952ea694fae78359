"""CloudFormation custom resource provider for Incident Manager replication sets."""
