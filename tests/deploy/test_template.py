"""The SAM template and the README's deployment steps agree on names, exports and settings."""

import re
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from cfnlint.decode import cfn_yaml

from provider.settings import call_seconds, response_seconds, settings

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()


def template() -> dict:  # type: ignore[type-arg]
    return cfn_yaml.load(str(ROOT / "template.yaml"))  # type: ignore[no-any-return]


def test_function_runs_python_313_on_arm64_with_the_packaged_handler() -> None:
    function = template()["Resources"]["ProviderFunction"]
    assert template()["Transform"] == "AWS::Serverless-2016-10-31"
    properties = function["Properties"]
    assert (properties["Runtime"], properties["Architectures"]) == ("python3.13", ["arm64"])
    assert properties["Handler"] == "provider.app.lambda_handler"
    # sam build runs the Makefile's build-ProviderFunction target from the project root
    assert properties["CodeUri"] == "."
    assert function["Metadata"] == {"BuildMethod": "makefile"}
    assert properties["LoggingConfig"] == {"LogGroup": {"Ref": "ProviderLogGroup"}}


def test_timeout_leaves_room_to_hand_off_before_lambda_stops_the_invocation() -> None:
    timeout = template()["Resources"]["ProviderFunction"]["Properties"]["Timeout"]
    assert timeout > 2 * settings().handoff_seconds


def test_logs_go_to_a_retained_group_with_a_retention_parameter() -> None:
    group = template()["Resources"]["ProviderLogGroup"]
    assert group["DeletionPolicy"] == "Retain"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    variables = template()["Resources"]["ProviderFunction"]["Properties"]["Environment"][
        "Variables"
    ]
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}


def test_service_token_is_exported_as_the_readme_and_examples_say() -> None:
    output = template()["Outputs"]["ServiceToken"]
    assert output["Value"] == {"Fn::GetAtt": ["ProviderFunction", "Arn"]}
    assert output["Export"]["Name"] == {
        "Fn::If": [
            "ExportUnderStackName",
            {"Fn::Sub": "${AWS::StackName}-ServiceToken"},
            {"Ref": "ServiceTokenExportName"},
        ]
    }
    stack_name = re.search(r"--stack-name (\S+)", README)
    assert stack_name, "the README's deploy command names the stack"
    assert f"!ImportValue {stack_name.group(1)}-ServiceToken" in README
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        parameters = cfn_yaml.load(str(example))["Parameters"]
        assert parameters["ProviderStackName"]["Default"] == stack_name.group(1), example.name


def test_the_records_table_is_what_powertools_and_the_provider_expect() -> None:
    resources = template()["Resources"]
    table = resources["RecordsTable"]["Properties"]
    layer = DynamoDBPersistenceLayer(table_name="t", boto3_client=object())  # type: ignore[arg-type]
    assert table["KeySchema"] == [{"AttributeName": layer.key_attr, "KeyType": "HASH"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {
        "AttributeName": layer.expiry_attr,
        "Enabled": True,
    }
    variables = resources["ProviderFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["PROVIDER_IDEMPOTENCY_TABLE"] == {"Ref": "RecordsTable"}


def test_asynchronous_invocations_are_never_retried_and_the_unanswered_are_kept() -> None:
    config = template()["Resources"]["ProviderFunction"]["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 0
    assert config["MaximumEventAgeInSeconds"] == 3600  # what CloudFormation waits at most
    assert config["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["UnansweredInvocations", "Arn"]},
    }


def test_one_call_and_one_response_delivery_fit_the_hand_off_reserve() -> None:
    config = settings()
    assert call_seconds(config.max_attempts) <= config.handoff_seconds
    assert response_seconds(config.response_attempts) <= config.handoff_seconds


def test_the_exported_invoke_policy_allows_invoking_only_through_cloudformation() -> None:
    policy = template()["Resources"]["InvokeThroughCloudFormationPolicy"]["Properties"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == {"Fn::GetAtt": ["ProviderFunction", "Arn"]}
    assert statement["Condition"] == {
        "ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}
    }
    assert "InvokeThroughCloudFormationPolicyArn" in template()["Outputs"]


ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/IncidentReplicationSetProvider-ProviderRole-1A2B3C"
#: What the template's references stand for, in the evaluation below.
REFERENCES = {
    "AWS::AccountId": ACCOUNT,
    "ProviderRole.Arn": ROLE,
    "UnansweredInvocations.Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:unanswered",
}


def resolved(value: Any) -> Any:
    if isinstance(value, dict) and "Ref" in value:
        return REFERENCES[value["Ref"]]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return REFERENCES[".".join(value["Fn::GetAtt"])]
    return value


def denied(principal: str, action: str, *, tls: bool = True) -> bool:
    """Whether the queue's policy denies ``action`` to ``principal`` (an ARN: its account is
    the fifth field), as IAM evaluates its Deny statements' conditions."""
    context = {
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": principal.split(":")[4],
        "aws:SecureTransport": "true" if tls else "false",
    }
    tests = {
        "ArnNotEquals": lambda actual, expected: actual != expected,
        "StringNotEquals": lambda actual, expected: actual != expected,
        "Bool": lambda actual, expected: actual == expected,
    }
    policy = template()["Resources"]["UnansweredInvocationsPolicy"]["Properties"]
    for statement in policy["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
        assert resolved(statement["Resource"]) == REFERENCES["UnansweredInvocations.Arn"]
        if statement["Action"] not in (action, "sqs:*"):
            continue
        if all(
            tests[operator](context[key], resolved(expected))
            for operator, condition in statement["Condition"].items()
            for key, expected in condition.items()
        ):
            return True
    return False


def test_only_the_function_sends_to_the_unanswered_queue_and_only_the_account_reads_it() -> None:
    """The queue holds presigned ResponseURLs: what each kind of caller can do with it."""
    policy = template()["Resources"]["UnansweredInvocationsPolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "UnansweredInvocations"}]
    admin = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    outsider = "arn:aws:iam::210987654321:role/Admin"
    assert not denied(ROLE, "sqs:SendMessage")  # Lambda sends as the function's role
    assert denied(admin, "sqs:SendMessage")  # nobody else, in the account or out of it
    assert denied(outsider, "sqs:SendMessage")
    assert not denied(admin, "sqs:ReceiveMessage")  # the account's own, with IAM's leave
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert denied(outsider, action)
    assert denied(admin, "sqs:ReceiveMessage", tls=False)


def test_the_unanswered_queue_is_encrypted_and_keeps_messages_a_week() -> None:
    queue = template()["Resources"]["UnansweredInvocations"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and "KmsMasterKeyId" not in queue
    assert queue["MessageRetentionPeriod"] == 7 * 24 * 3600
    assert "presigned ResponseURL" in README and "kept 7 days" in README
