"""`make demo`: the example stack through create, update, a failed update and its rollback, and
delete, on the emulator, with the provider running in this process as Lambda would run it.

Each step is checked against the state it must end in; the exit code is 0 only if all are.
"""

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3
from moto import mock_aws

from emulator import control
from provider.ownership import MANAGER, RESERVED_PREFIX

from .console import header, printer
from .engine import Stack
from .local import local_cloud
from .template import TemplateError

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "examples" / "replication-set.yaml"
LOGS = ROOT / "build" / "demo-provider.log"
MISSING_KEY = "arn:aws:kms:us-east-2:123456789012:key/00000000-0000-0000-0000-000000000000"


@dataclass
class Step:
    title: str
    status: str
    checks: list[tuple[str, bool]]

    @property
    def passed(self) -> bool:
        return all(ok for _, ok in self.checks)


#: The stack's Region: not us-east-1, so that the demo shows the Region flowing through
#: (the StackId, AWS::Region, the provider's own Region and the set's first Region).
REGION = "eu-west-1"


def arn() -> str | None:
    return (control.replication_set(REGION) or {}).get("arn")


def status_is(status: str) -> bool:
    return (control.replication_set(REGION) or {}).get("status") == status


def regions_are(*names: str) -> bool:
    return sorted(control.region_keys(REGION)) == sorted(names)


def tags_are(tags: dict[str, str]) -> bool:
    """The template's tags, beside the provider's own mark of who manages the set."""
    live = (control.replication_set(REGION) or {}).get("tags") or {}
    return {k: v for k, v in live.items() if not k.startswith(RESERVED_PREFIX)} == tags


def managed_by(stack_id: str, logical_id: str) -> bool:
    """The set's manager mark names the stack's resource (provider.ownership)."""
    live: dict[str, str] = (control.replication_set(REGION) or {}).get("tags") or {}
    return live.get(MANAGER, "").endswith(f" {stack_id} {logical_id}")


def run(transition_seconds: float = 2.0) -> int:
    """Run the story; print events live and a summary; return the exit code."""
    LOGS.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    steps: list[Step] = []
    with mock_aws(), LOGS.open("w") as logs, local_cloud(printer(), logs, REGION) as cloud:
        control.set_transition_seconds(transition_seconds)
        kms = {r: boto3.client("kms", region_name=r) for r in ("us-west-2", "us-east-2")}
        west = kms["us-west-2"].create_key(Description="Incident Manager us-west-2")["KeyMetadata"][
            "Arn"
        ]
        east2 = kms["us-east-2"].create_key(Description="Incident Manager us-east-2")[
            "KeyMetadata"
        ]["Arn"]
        text = TEMPLATE.read_text()
        stack = Stack("incident-manager", cloud)
        base = {"SecondaryKeyArn": west}
        three = {
            **base,
            "TertiaryRegion": "us-east-2",
            "TertiaryKeyArn": east2,
            "Team": "incident-response",
        }

        def step(
            title: str,
            action: Callable[[], str],
            expect: str,
            *checks: tuple[str, Callable[[], bool]],
        ) -> None:
            if steps and not steps[-1].passed:
                steps.append(Step(title, "skipped", [("earlier step passed", False)]))
                return
            print(f"\n== {title}", flush=True)
            header()
            try:
                status = action()
            except TemplateError as error:
                steps.append(
                    Step(title, f"refused: {error}", [("stack operation accepted", False)])
                )
                return
            results = [(f"stack ends {expect}", status == expect)]
            results += [(name, check()) for name, check in checks]
            steps.append(Step(title, status, results))

        step(
            f"Deploy in {REGION}: a set in {REGION} and us-west-2, customer managed keys",
            lambda: stack.create(text, base),
            "CREATE_COMPLETE",
            ("set ACTIVE", lambda: status_is("ACTIVE")),
            (f"regions {REGION}, us-west-2", lambda: regions_are(REGION, "us-west-2")),
            (
                "us-west-2 uses its key",
                lambda: control.region_keys(REGION).get("us-west-2") == west,
            ),
            ("output ReplicationSetArn", lambda: stack.outputs.get("ReplicationSetArn") == arn()),
            (
                "managed by ReplicationSet (tag on the set)",
                lambda: managed_by(stack.stack_id, "ReplicationSet"),
            ),
        )
        step(
            "Update: add us-east-2, change the team tag",
            lambda: stack.update(text, three),
            "UPDATE_COMPLETE",
            (
                f"regions {REGION}, us-east-2, us-west-2",
                lambda: regions_are(REGION, "us-east-2", "us-west-2"),
            ),
            ("tags {team: incident-response}", lambda: tags_are({"team": "incident-response"})),
        )
        before = control.region_keys(REGION)
        step(
            "Failing update: us-east-2 to a KMS key that does not exist; CloudFormation rolls back",
            lambda: stack.update(text, {**three, "TertiaryKeyArn": MISSING_KEY, "Team": "broken"}),
            "UPDATE_ROLLBACK_COMPLETE",
            (
                "an UPDATE_FAILED event",
                lambda: any(e.status == "UPDATE_FAILED" for e in stack.events),
            ),
            ("regions and keys as before", lambda: control.region_keys(REGION) == before),
            ("tags as before", lambda: tags_are({"team": "incident-response"})),
            ("set ACTIVE", lambda: status_is("ACTIVE")),
        )
        step(
            "Delete the stack",
            stack.delete,
            "DELETE_COMPLETE",
            ("no replication set left", lambda: control.replication_set(REGION) is None),
        )
        calls = control.call_counts()
    summarize(stack, steps, calls, time.monotonic() - started)
    return 0 if all(s.passed for s in steps) else 1


def summarize(stack: Stack, steps: list[Step], calls: dict[str, int], seconds: float) -> None:
    print("\n== Summary")
    for result in steps:
        print(f"{'PASS' if result.passed else 'FAIL'}  {result.title}: {result.status}")
        for name, ok in result.checks:
            print(f"        {'ok  ' if ok else 'FAIL'} {name}")
    print(f"Stack events: {len(stack.events)}; final stack status: {stack.status}")
    print(
        "Incident Manager API calls by the provider: "
        + ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
    )
    print(f"Provider logs: {LOGS.relative_to(ROOT)}; took {seconds:.1f} s")


if __name__ == "__main__":
    sys.exit(run())
