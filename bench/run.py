"""`make bench`: what a stack pays for this provider, each figure next to its baseline.

- cold start: wall time and peak memory of a fresh ``python -c "import provider.app"`` (what the
  Lambda runtime imports), against a process that imports boto3 and crhelper and builds a bare
  ``CfnResource`` (a plain crhelper provider's init).
- time to ready: with the emulator taking D seconds per transition, the time from the event to
  the response, minus D. The crhelper baseline is modelled from its own defaults: the first
  poll comes ``polling_interval`` minutes after the event, and Delete sleeps ``sleep_on_delete``.
- API calls per operation, counted by the emulator, against the fewest each operation needs.
- warm handler overhead (median, p95): a validation failure (no AWS call), against a bare
  crhelper handler that PUTs the same response; a no-op update, against a bare crhelper handler
  that makes the same two reads (GetReplicationSet, ListTagsForResource) and PUTs its response.
- the deployment zip, against crhelper alone (a plain crhelper handler's package).

    python -m bench.run [--quick] [--out build/bench]

Each figure with a target says whether it met it. Results go to ``build/bench/`` (untracked);
``make bench-record`` writes ``bench/results/latest.json``, the run the README quotes.
"""

import argparse
import io
import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import boto3
import botocore.handlers
from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import CfnResource
from moto import mock_aws
from moto.server import ThreadedMotoServer

import emulator  # noqa: F401
from emulator import control
from local_cloudformation.host import provider_host
from local_cloudformation.protocol import (
    FakeContext,
    RealClock,
    ResponseEndpoint,
    make_event,
    response_endpoint,
)
from local_cloudformation.provider_stack import create_records_table
from scripts import package

ROOT = Path(__file__).resolve().parents[1]

Row = dict[str, Any]
ENV = {
    **os.environ,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}
OURS = "import provider.app"
BASELINE = "import boto3\nfrom crhelper import CfnResource\nCfnResource()"
# Untimed, in both processes: a response endpoint, an invalid Create event, a Lambda context.
FIRST_REQUEST_SETUP = """
import http.server, json, os, threading, urllib.request
class Answer(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
threading.Thread(target=server.serve_forever, daemon=True).start()
origin = f"http://127.0.0.1:{server.server_address[1]}"
os.environ["PROVIDER_RESPONSE_ORIGINS"] = origin
event = {"RequestType": "Create", "RequestId": "r1", "ResponseURL": origin + "/r1?X-Amz-Expires=1",
         "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
         "LogicalResourceId": "Set", "ResourceType": "Custom::IncidentReplicationSet",
         "ResourceProperties": {"ServiceToken": "arn", "Regions": []}}
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "f", 256, "a1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    def get_remaining_time_in_millis(self):
        return 900000
"""
OURS_FIRST_REQUEST = "import provider.app\nprovider.app.lambda_handler(event, Context())"
# Untimed too, for the first recorded request: a Delete of a Create that failed early (the
# records' calls only), against a moto server holding the records table (``records_server``).
RECORDS_SETUP = (
    FIRST_REQUEST_SETUP
    + "import uuid\n"
    + 'event.update(RequestType="Delete", PhysicalResourceId="s_Set_A")\n'
    + 'event["RequestId"] = str(uuid.uuid4())  # a new request each run\n'
)
BASELINE_FIRST_REQUEST = """
from crhelper import CfnResource
class Bare(CfnResource):
    def _send(self, status=None, reason="", send_response=None):
        body = json.dumps({"Status": status or self.Status, "Reason": reason or self.Reason,
            "PhysicalResourceId": str(self.PhysicalResourceId), "StackId": self.StackId,
            "RequestId": self.RequestId, "LogicalResourceId": self.LogicalResourceId,
            "NoEcho": False, "Data": self.Data}).encode()
        put = urllib.request.Request(self._response_url, data=body, method="PUT",
                                     headers={"Content-Type": ""})
        urllib.request.urlopen(put).close()
helper = Bare(log_level="WARNING", sleep_on_delete=0)
helper.create(lambda event, context: "id")
helper(event, Context())
"""
# Peak memory from VmHWM: ru_maxrss would carry over the (much larger) parent's peak into exec.
MEASURE = (
    "{setup}\nimport time\nt = time.perf_counter()\n{code}\nt = time.perf_counter() - t\n"
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
    "print(t, hwm)"
)
ONE = {"Regions": [{"RegionName": "us-east-1"}], "Tags": [{"Key": "team", "Value": "sre"}]}
TWO = {
    "Regions": [{"RegionName": "us-east-1"}, {"RegionName": "us-west-2"}],
    "Tags": [{"Key": "team", "Value": "sre"}],
}
RETAGGED = {"Regions": [{"RegionName": "us-east-1"}], "Tags": [{"Key": "team", "Value": "ir"}]}


def row(
    metric: str, ours: float, baseline: float | None, unit: str, *, target: str = "", note: str = ""
) -> Row:
    ratio = round(ours / baseline, 3) if baseline else None
    return {
        "metric": metric,
        "ours": round(ours, 4),
        "baseline": baseline if baseline is None else round(baseline, 4),
        "ratio": ratio,
        "unit": unit,
        "target": target,
        "met": met(target, ours, ratio),
        "note": note,
    }


def met(target: str, ours: float, ratio: float | None) -> bool | None:
    """Whether a figure meets its target: "<= 1.2x" (ratio), "<= 5 s" (value), "= 0" (value)."""
    found = re.fullmatch(r"(<=|=) ([0-9.]+)(x?)(?: \w+)?", target)
    if not found:
        return None
    limit = float(found[2])
    value = ratio if found[3] == "x" else ours
    if value is None:
        return False
    return value <= limit if found[1] == "<=" else value == limit


# -- cold start ----------------------------------------------------------------------------


def fresh_process(
    code: str, setup: str = "", env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    """(process wall seconds, timed seconds, peak KiB) of a new interpreter running ``code``."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE.format(setup=setup, code=code)],
        capture_output=True,
        text=True,
        env={**ENV, **(env or {})},
        cwd=ROOT,
        check=True,
    )
    wall = time.perf_counter() - started
    inside, peak = done.stdout.splitlines()[-1].split()
    return wall, float(inside), int(peak)


@contextmanager
def records_server() -> Iterator[dict[str, str]]:
    """A moto server on 127.0.0.1 with the provider's records table, made as template.yaml
    makes it; the environment that points a process at it."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        url = f"http://127.0.0.1:{server._server.server_port}"  # type: ignore[union-attr]
        client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=url)
        yield {"AWS_ENDPOINT_URL": url, "PROVIDER_IDEMPOTENCY_TABLE": create_records_table(client)}
    finally:
        server.stop()


def cold_start(runs: int) -> list[Row]:
    ours, base, ours_first, base_first, ours_records, base_records = [], [], [], [], [], []
    for _ in range(runs):  # interleaved, so both see the same machine
        ours.append(fresh_process(OURS))
        base.append(fresh_process(BASELINE))
        ours_first.append(fresh_process(OURS_FIRST_REQUEST, FIRST_REQUEST_SETUP))
        base_first.append(fresh_process(BASELINE_FIRST_REQUEST, FIRST_REQUEST_SETUP))
        with records_server() as server:
            ours_records.append(fresh_process(OURS_FIRST_REQUEST, RECORDS_SETUP, server))
            base_records.append(fresh_process(BASELINE_FIRST_REQUEST, RECORDS_SETUP, server))

    def median(samples: list[tuple[float, float, int]], index: int) -> float:
        return statistics.median(s[index] for s in samples)

    return [
        row(
            "cold start: process wall time (median)",
            median(ours, 0),
            median(base, 0),
            "s",
            target="<= 0.9x",
        ),
        row("cold start: import time (median)", median(ours, 1), median(base, 1), "s"),
        row(
            "cold start: import + first request (median)",
            median(ours_first, 1),
            median(base_first, 1),
            "s",
            target="<= 0.9x",
            note="a validation failure, answered over HTTP (no record needed)",
        ),
        row(
            "cold start: import + first recorded request (median)",
            median(ours_records, 1),
            median(base_records, 1),
            "s",
            target="<= 0.9x",
            note="a Delete through the records table (a moto server); baseline: no records",
        ),
        row(
            "cold start: peak memory (median)",
            median(ours, 2) / 1024,
            median(base, 2) / 1024,
            "MiB",
        ),
    ]


# -- the provider, in-process, against the emulator ------------------------------------------


class Provider:
    """Sends events to the real handler through a real response endpoint."""

    def __init__(
        self, endpoint: ResponseEndpoint, invoke: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> None:
        self.endpoint, self.invoke = endpoint, invoke

    def send(
        self,
        request_type: str,
        properties: dict[str, Any],
        physical_id: str | None = None,
        old: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        event = make_event(
            request_type, properties, self.endpoint, physical_id=physical_id, old_properties=old
        )
        answer = self.invoke(event)
        assert answer["Status"] == "SUCCESS", answer
        return answer


def time_to_ready(provider: Provider, seconds: float) -> list[Row]:
    defaults = CfnResource(log_level="WARNING")
    interval = defaults._polling_interval * 60  # type: ignore[attr-defined]
    sleep_on_delete = defaults._sleep_on_delete  # type: ignore[attr-defined]

    def overhead(action: Callable[[], Any]) -> float:
        control.set_transition_seconds(seconds)
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started - seconds
        control.set_transition_seconds(0)
        return elapsed

    create = overhead(lambda: provider.send("Create", ONE))
    arn = control.replication_set()["arn"]  # type: ignore[index]
    update = overhead(lambda: provider.send("Update", TWO, arn, ONE))
    delete = overhead(lambda: provider.send("Delete", TWO, arn))
    note = (
        f"D = {seconds:g} s; crhelper baseline modelled from polling_interval={interval / 60:g} min"
    )
    return [
        row(
            "time to ready - D: create", create, interval - seconds, "s", target="<= 5 s", note=note
        ),
        row(
            "time to ready - D: update adding a region",
            update,
            interval - seconds,
            "s",
            target="<= 5 s",
            note=note,
        ),
        row(
            "time to ready - D: delete",
            delete,
            interval - seconds + sleep_on_delete,
            "s",
            target="<= 5 s",
            note=f"crhelper also sleeps sleep_on_delete={sleep_on_delete} s",
        ),
    ]


#: DynamoDB calls by operation, counted by a botocore hook every new client gets (as moto's own).
DYNAMODB_CALLS: Counter[str] = Counter()
botocore.handlers.BUILTIN_HANDLERS.append(
    ("before-call.dynamodb", lambda model, **_: DYNAMODB_CALLS.update([model.name]))
)
RECORD_CALLS = {
    "create": "the step's record (PutItem, UpdateItem); the manager is a tag on the set",
    "no-op update": "the step's record (PutItem, UpdateItem); the manager is read with the tags",
    "delete": "the step's record (PutItem, UpdateItem); the claim and the delete are on the set",
}
#: The same requests' DynamoDB calls when the manager was kept in the table (before issue 24).
RECORD_CALLS_BEFORE = {"create": 4, "no-op update": 3, "delete": 6}
MINIMUM = {
    "create": (2, "CreateReplicationSet, then one GetReplicationSet to see ACTIVE"),
    "no-op update": (2, "GetReplicationSet and ListTagsForResource to compare; nothing to change"),
    "add-region update": (4, "read set and tags, UpdateReplicationSet, one read to see ACTIVE"),
    "tags-only update": (3, "read set and tags, TagResource"),
    "delete": (2, "DeleteReplicationSet, one read to see it gone"),
}


def api_calls(provider: Provider) -> list[Row]:
    counts: dict[str, tuple[int, int]] = {}

    records: dict[str, int] = {}

    def measure(name: str, action: Callable[[], Any]) -> None:
        control.reset_call_counts()
        DYNAMODB_CALLS.clear()
        action()
        counts[name] = (sum(control.call_counts().values()), sum(control.mutating_calls().values()))
        records[name] = sum(DYNAMODB_CALLS.values())

    measure("create", lambda: provider.send("Create", ONE))
    arn = control.replication_set()["arn"]  # type: ignore[index]
    measure("no-op update", lambda: provider.send("Update", ONE, arn, ONE))
    measure("add-region update", lambda: provider.send("Update", TWO, arn, ONE))
    measure(
        "tags-only update",
        lambda: provider.send("Update", {**TWO, "Tags": RETAGGED["Tags"]}, arn, TWO),
    )
    measure("delete", lambda: provider.send("Delete", TWO, arn))
    rows = []
    for name, (total, mutating) in counts.items():
        least, why = MINIMUM[name]
        rows.append(
            row(
                f"API calls: {name} ({mutating} mutating)",
                total,
                least,
                "calls",
                note=f"minimum: {why}",
            )
        )
        if name == "no-op update":
            rows.append(row("mutating calls: no-op update", mutating, None, "calls", target="= 0"))
    for name, calls in records.items():
        rows.append(
            row(
                f"DynamoDB calls: {name}",
                calls,
                RECORD_CALLS_BEFORE.get(name),
                "calls",
                note=RECORD_CALLS.get(name, "the step's record: PutItem, then UpdateItem")
                + ("; baseline: owner records in the table" if name in RECORD_CALLS_BEFORE else ""),
            )
        )
    return rows


def handler_overhead(provider: Provider, endpoint: ResponseEndpoint, runs: int) -> list[Row]:
    def timings(action: Callable[[], Any]) -> tuple[float, float]:
        action()  # warm
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            action()
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]

    def invalid() -> None:
        event = make_event("Create", {"Regions": []}, endpoint)
        answer = provider.invoke(event)
        assert answer["Status"] == "FAILED"

    arn = provider.send("Create", ONE)["PhysicalResourceId"]
    client = boto3.client("ssm-incidents", region_name="us-east-1")

    def two_reads(event: dict[str, Any], context: Any) -> str:
        client.get_replication_set(arn=arn)
        client.list_tags_for_resource(resourceArn=arn)
        return str(arn)

    idle, reading = bare_crhelper(endpoint), bare_crhelper(endpoint, two_reads)
    bare_failing = timings(lambda: idle(make_event("Create", {}, endpoint)))
    bare_reading = timings(lambda: reading(make_event("Create", {}, endpoint)))
    failing = timings(invalid)
    noop = timings(lambda: provider.send("Update", ONE, arn, ONE))
    provider.send("Delete", ONE, arn)
    rows = []
    for name, (median, p95), baseline, note in (
        ("validation failure", failing, bare_failing, "baseline: bare crhelper handler"),
        ("no-op update", noop, bare_reading, "baseline: bare crhelper handler, the same 2 reads"),
    ):
        rows.append(row(f"warm handler: {name} (median)", median, baseline[0], "ms", note=note))
        rows.append(row(f"warm handler: {name} (p95)", p95, baseline[1], "ms"))
    rows.append(
        row(
            "warm handler: no-op update over the same reads (median)",
            noop[0] - bare_reading[0],
            None,
            "ms",
            target="<= 10 ms",
            note="what the records (2 DynamoDB calls) and the provider add to the 2 reads",
        )
    )
    return rows


def bare_crhelper(
    endpoint: ResponseEndpoint, work: Callable[[dict[str, Any], Any], str] | None = None
) -> Callable[[dict[str, Any]], None]:
    """A plain crhelper handler whose create does ``work`` (default: nothing), PUTting its
    response like ours."""

    class Bare(CfnResource):
        def _send(
            self, status: str | None = None, reason: str = "", send_response: Any = None
        ) -> None:
            body = {
                "Status": status or self.Status,
                "Reason": reason,
                "PhysicalResourceId": str(self.PhysicalResourceId),
                "StackId": self.StackId,
                "RequestId": self.RequestId,
                "LogicalResourceId": self.LogicalResourceId,
                "NoEcho": False,
                "Data": self.Data,
            }
            data = json.dumps(body).encode()
            put = urllib.request.Request(
                getattr(self, "_response_url", ""),
                data=data,
                method="PUT",
                headers={"Content-Type": ""},
            )
            urllib.request.urlopen(put, timeout=10).close()

    helper = Bare(log_level="WARNING", sleep_on_delete=0)
    helper.create(work or (lambda event, context: "bare-id"))

    def invoke(event: dict[str, Any]) -> None:
        helper(event, cast(LambdaContext, FakeContext(RealClock())))

    return invoke


def package_size() -> list[Row]:
    with tempfile.TemporaryDirectory() as out:
        archive = package.build(Path(out))
        ours = archive.stat().st_size
        crhelper_only = io.BytesIO()
        with zipfile.ZipFile(crhelper_only, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
            for path in sorted((Path(out) / "lambda" / "crhelper").rglob("*.py")):
                zipped.write(path, path.relative_to(Path(out) / "lambda").as_posix())
    return [
        row(
            "deployment zip",
            ours / 1024,
            len(crhelper_only.getvalue()) / 1024,
            "KiB",
            note="baseline: crhelper alone; boto3 comes from the Lambda runtime",
        )
    ]


# -- the report --------------------------------------------------------------------------------


def measure(quick: bool) -> list[Row]:
    rows = cold_start(3 if quick else 11)
    with (
        mock_aws(),
        open(os.devnull, "w") as quiet,
        response_endpoint() as endpoint,
        provider_host(endpoint, logs=quiet) as invoke,
    ):
        provider = Provider(endpoint, invoke)
        rows += time_to_ready(provider, 0.5 if quick else 5.0)
        rows += api_calls(provider)
        rows += handler_overhead(provider, endpoint, 10 if quick else 200)
    rows += package_size()
    return rows


def number(value: float | None) -> str:
    """Whole numbers as integers (2 calls), the rest with three decimals."""
    if value is None:
        return ""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}"


def table(rows: list[Row]) -> str:
    def line(*cells: str) -> str:
        metric, ours, base, ratio, unit, target, met_, note = cells
        return (
            f"{metric:<46} {ours:>10} {base:>10} {ratio:>7}  {unit:<6} {target:<8} {met_:<7} {note}"
        ).rstrip()

    lines = [line("metric", "ours", "baseline", "ratio", "unit", "target", "met", "note")]
    for r in rows:
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        verdict = {True: "met", False: "NOT MET", None: ""}[r["met"]]
        lines.append(
            line(
                r["metric"],
                number(r["ours"]),
                number(r["baseline"]),
                ratio,
                r["unit"],
                r["target"],
                verdict,
                r["note"],
            )
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="few repetitions, D = 0.5 s (smoke test)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "build" / "bench",
        help="where to write the JSON (default: build/bench, untracked)",
    )
    args = parser.parse_args()
    os.environ.update({k: v for k, v in ENV.items() if k.startswith("AWS_")})
    started = time.perf_counter()
    rows = measure(args.quick)
    print(table(rows))
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "quick": args.quick,
        "seconds": round(time.perf_counter() - started, 1),
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / ("quick.json" if args.quick else "latest.json")
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {target} in {report['seconds']} s")


if __name__ == "__main__":
    main()
