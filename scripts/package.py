"""Build the Lambda deployment package: ``provider/`` and its pinned runtime dependencies.

Wheels are chosen for the Lambda target (python3.13, arm64) whatever the build host, with
pip's ``--platform``/``--python-version``/``--only-binary`` options. Writes ``build/lambda/``,
``build/provider.zip`` and ``build/template.yaml`` (template.yaml with its CodeUri pointing at
``build/lambda``, for ``aws cloudformation package`` without the SAM CLI), and prints the
zip's size. ``sam build`` calls the same staging through the Makefile's
``build-ProviderFunction`` target (``--stage-only $ARTIFACTS_DIR``), so both deploy the same files.

    python scripts/package.py [--out build]
    python scripts/package.py --stage-only DIR
"""

import argparse
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # the same inputs give the same zip


def stage(staging: Path) -> None:
    """Fill ``staging`` with the provider and its pinned runtime dependencies for Lambda."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-qq", "--disable-pip-version-check",
         "--target", str(staging), "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux2014_aarch64", "--implementation", "cp",
         "--python-version", "3.13", "--require-hashes",
         "-r", str(ROOT / "requirements-lambda.txt")],
        check=True,
    )  # fmt: skip
    shutil.copytree(
        ROOT / "provider", staging / "provider", ignore=shutil.ignore_patterns("__pycache__")
    )
    for cache in staging.rglob("__pycache__"):
        shutil.rmtree(cache)
    shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts; Lambda never runs them


def build(out: Path) -> Path:
    staging, archive = out / "lambda", out / "provider.zip"
    stage(staging)
    write_template(out / "template.yaml", staging)
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(staging).as_posix(), FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(info, path.read_bytes())
    return archive


def write_template(path: Path, staging: Path) -> None:
    """template.yaml as the SAM CLI's build writes it: the function's code is ``staging``."""
    text = (ROOT / "template.yaml").read_text()
    marker = "      CodeUri: .\n"
    if marker not in text:
        raise SystemExit("template.yaml: ProviderFunction's CodeUri is no longer '.'")
    relative = staging.resolve().relative_to(path.parent.resolve()).as_posix()
    path.write_text(text.replace(marker, f"      CodeUri: {relative}\n"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--stage-only", type=Path, metavar="DIR", help="only fill DIR (sam build)")
    args = parser.parse_args()
    if args.stage_only:
        stage(args.stage_only)
        return
    archive = build(args.out)
    print(f"{archive}: {archive.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
