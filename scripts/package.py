"""Build the Lambda deployment package: ``provider/`` and its pinned runtime dependencies.

Wheels are chosen for the Lambda target (python3.13, arm64) whatever the build host, with
pip's ``--platform``/``--python-version``/``--only-binary`` options. Writes ``build/lambda/``
(the template's CodeUri) and ``build/provider.zip``, and prints the zip's size.

    python scripts/package.py [--out build]
"""

import argparse
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # the same inputs give the same zip


def build(out: Path) -> Path:
    staging, archive = out / "lambda", out / "provider.zip"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-qq", "--disable-pip-version-check",
         "--target", str(staging), "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux2014_aarch64", "--implementation", "cp",
         "--python-version", "3.13", "-r", str(ROOT / "requirements-lambda.txt")],
        check=True,
    )  # fmt: skip
    shutil.copytree(
        ROOT / "provider", staging / "provider", ignore=shutil.ignore_patterns("__pycache__")
    )
    for cache in staging.rglob("__pycache__"):
        shutil.rmtree(cache)
    shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts; Lambda never runs them
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(staging).as_posix(), FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(info, path.read_bytes())
    return archive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    archive = build(parser.parse_args().out)
    print(f"{archive}: {archive.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
