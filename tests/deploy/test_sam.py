"""`sam build` builds the function as `make package` does, and `sam validate --lint` passes.

The SAM CLI lives in a venv of its own (`make sam`); `make test-long` passes its path as SAM_CLI.
"""

import os
import subprocess
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).parents[2]
SAM = os.environ.get("SAM_CLI") or str(ROOT / ".venv-sam" / "bin" / "sam")
ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0"}


def sam(*args: str) -> subprocess.CompletedProcess[str]:
    if not Path(SAM).exists():
        pytest.fail(f"no SAM CLI at {SAM}: run `make test-long` (it installs one with `make sam`)")
    return subprocess.run(
        [SAM, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600, check=False
    )


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def sam_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sam build` as a user runs it from the project (samconfig.toml's defaults), into a
    directory of its own."""
    out = tmp_path_factory.mktemp("aws-sam") / "build"
    done = sam("build", "--build-dir", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Build Succeeded" in done.stdout
    return out


def test_sam_validate_lint_passes() -> None:
    done = sam("validate", "--lint", "--template-file", "template.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is a valid SAM Template" in done.stdout + done.stderr


def test_sam_build_holds_exactly_what_make_package_holds(sam_build: Path, tmp_path: Path) -> None:
    subprocess.run(
        ["python3", str(ROOT / "scripts" / "package.py"), "--out", str(tmp_path)], check=True
    )
    built, packaged = files(sam_build / "ProviderFunction"), files(tmp_path / "lambda")
    assert sorted(built) == sorted(packaged)
    assert built == packaged
    assert "provider/app.py" in built
    assert not any(name.split("/")[0] in ("tests", "emulator", "moto") for name in built)


def test_the_built_template_points_at_the_built_function(sam_build: Path) -> None:
    template = cfn_yaml.load(str(sam_build / "template.yaml"))
    function = template["Resources"]["ProviderFunction"]["Properties"]
    assert function["CodeUri"] == "ProviderFunction"
    assert (function["Runtime"], function["Architectures"]) == ("python3.13", ["arm64"])


def test_the_template_without_sam_points_at_make_packages_directory(tmp_path: Path) -> None:
    subprocess.run(
        ["python3", str(ROOT / "scripts" / "package.py"), "--out", str(tmp_path)], check=True
    )
    template = cfn_yaml.load(str(tmp_path / "template.yaml"))
    assert template["Resources"]["ProviderFunction"]["Properties"]["CodeUri"] == "lambda"
    assert (tmp_path / "lambda" / "provider" / "app.py").exists()
