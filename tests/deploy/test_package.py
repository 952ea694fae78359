"""`make package` builds a zip with the provider and its runtime dependencies only, and the
handler imports from it."""

import re
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).parents[2]
#: What the python3.13 Lambda runtime itself provides (boto3 and its dependencies).
RUNTIME_PACKAGES = ["boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six.py", "jmespath"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--out", str(out)], check=True
    )
    return out / "provider.zip"


def test_zip_holds_only_the_provider_and_its_runtime_dependencies(archive: Path) -> None:
    names = zipfile.ZipFile(archive).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {
        "provider",
        "crhelper",
        "aws_lambda_powertools",
        "jmespath",
        "typing_extensions.py",
    }
    assert "provider/app.py" in names
    assert not any(
        part in name for name in names for part in ("tests/", "emulator/", "moto/", "__pycache__")
    )


def test_handler_imports_from_the_zip_beside_only_the_lambda_runtimes_packages(
    archive: Path, tmp_path: Path
) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    for package in RUNTIME_PACKAGES:
        (runtime / package).symlink_to(site / package)
    check = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
        "import provider.app as app, crhelper, aws_lambda_powertools; "
        "modules = (app, crhelper, aws_lambda_powertools); "
        "assert all(m.__file__.startswith(sys.argv[1]) for m in modules); "
        "assert callable(app.lambda_handler); print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", check, str(archive), str(runtime)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_zips_pins_are_within_the_tested_ranges_and_installed_here() -> None:
    """What ships (requirements-lambda.txt) is what the suite runs against (pyproject.toml)."""
    declared = {
        Requirement(line).name: Requirement(line)
        for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    lines = [
        line
        for line in (ROOT / "requirements-lambda.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for line in lines:  # the package installs them with --require-hashes
        assert re.search(r" --hash=sha256:[0-9a-f]{64}$", line), f"{line}: no sha256 hash"
    pins = [Requirement(line.split(" --hash=")[0]) for line in lines]
    for pin in pins:
        (pinned,) = pin.specifier
        assert pinned.operator == "==", f"{pin} is not an exact pin"
        assert version(pin.name) == pinned.version, f"{pin}: the tests ran with {version(pin.name)}"
        if pin.name in declared:
            assert pinned.version in declared[pin.name].specifier, (
                f"{pin} is outside {declared[pin.name]}"
            )


def test_a_wheel_that_is_not_the_tested_one_is_refused(tmp_path: Path) -> None:
    """--require-hashes: a changed hash (a wheel swapped on the index) stops the build."""
    text = (ROOT / "requirements-lambda.txt").read_text()
    tampered = tmp_path / "requirements-lambda.txt"
    tampered.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, text, count=1))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux2014_aarch64", "--implementation", "cp",
         "--python-version", "3.13", "--require-hashes", "-d", str(tmp_path / "wheels"),
         "-r", str(tampered)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "THESE PACKAGES DO NOT MATCH THE HASHES" in done.stderr
