"""`make bench` runs (quickly here): a smoke test, with no assertion on any timing."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_bench_runs_and_reports_every_figure_against_a_baseline(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "quick.json").read_text())
    metrics = {row["metric"]: row for row in report["rows"]}
    for name in (
        "cold start: process wall time (median)",
        "cold start: peak memory (median)",
        "cold start: import + first request (median)",
        "cold start: import + first recorded request (median)",
        "time to ready - D: create",
        "time to ready - D: update adding a region",
        "time to ready - D: delete",
        "API calls: no-op update (0 mutating)",
        "warm handler: validation failure (median)",
        "warm handler: no-op update (p95)",
        "deployment zip",
    ):
        assert name in metrics, f"{name} missing from {sorted(metrics)}"
        assert metrics[name]["baseline"] is not None and metrics[name]["ratio"] is not None
    assert metrics["warm handler: no-op update (median)"]["note"].endswith("the same 2 reads")
    assert metrics["mutating calls: no-op update"]["met"] is True
    # the records' calls are counted too: a no-op update's are its step record's two, where
    # the owner record in the table made three
    assert metrics["DynamoDB calls: no-op update"]["ours"] == 2
    assert metrics["DynamoDB calls: no-op update"]["baseline"] == 3
    assert metrics["warm handler: no-op update over the same reads (median)"]["target"] == (
        "<= 10 ms"
    )
    printed = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    assert printed["mutating calls: no-op update"].split()[-5:] == ["0", "calls", "=", "0", "met"]
    assert "2.000" not in printed["API calls: create (1 mutating)"]  # integers as integers
