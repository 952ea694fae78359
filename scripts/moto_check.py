"""Check ``emulator/ssmincidents/`` the way moto's maintainers would check it as a pull request.

The service folder is dropped into the source of the moto version ``constraints.txt`` pins, as
a pull request would add it: ``moto/ssmincidents/``, its moto-style tests in
``tests/test_ssmincidents/``, its URL pattern in ``moto/backend_index.py`` and its typing lines
in ``moto/backends.py``. Then moto's own configuration judges it: ``ruff check``, ``ruff format
--check``, ``mypy`` (moto's ``setup.cfg``), ``pytest``, and ``pytest`` again against
``moto_server`` (``TEST_SERVER_MODE=true``), one line per step, stopping at the first failure.

Needs only python3 and pip. Everything it makes is cached: the sdist and its unpacked tree in
``build/moto-check/``, and a venv (``.venv-moto``) whose stamp file records what was installed
in it, so a re-run only copies the folder in again and runs the checks.

    python scripts/moto_check.py                  # every step
    python scripts/moto_check.py --only lint      # ruff check and ruff format --check
    python scripts/moto_check.py --keep-going     # every check, then the list of failures
"""

import argparse
import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "ssmincidents"  # the folder under moto/, and the name moto's backend index gives it
SERVICE = "ssm-incidents"  # the service's name in boto3 and in get_backend's Literal
TESTS = f"test_{MODULE}"
GROUPS = ("lint", "mypy", "test", "server")
# moto's requirements-dev.txt lists the type stubs its mypy runs with ("type stubs that mypy
# doesn't install automatically"): they change what mypy sees, so they come with it.
STUB = re.compile(r"^(types-[\w.-]+|[\w.-]+-stubs)$")


class Failed(Exception):
    """A step failed; ``output`` is what it printed."""

    def __init__(self, step: str, output: str) -> None:
        super().__init__(step)
        self.step = step
        self.output = output


@dataclass(frozen=True)
class Options:
    work: Path
    venv: Path
    service: Path
    tests: Path
    only: frozenset[str]
    keep_going: bool
    port: int | None


@dataclass(frozen=True)
class Check:
    group: str
    name: str
    command: tuple[str, ...]


def report(step: str, status: str) -> None:
    print(f"moto-check: {step:<20} {status}", flush=True)


def run(
    command: Sequence[str | Path], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with its output captured (stderr into stdout), never raising on failure."""
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def must(step: str, command: Sequence[str | Path], cwd: Path | None = None) -> None:
    done = run(command, cwd)
    if done.returncode != 0:
        raise Failed(step, done.stdout)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str | None]:
    """Requirement lines ``name==version`` or a bare ``name``, by normalized name."""
    found: dict[str, str | None] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9][\w.-]*)\s*(?:==\s*(\S+))?", line)
        if match:
            found[normalize(match[1])] = match[2]
    return found


def moto_version() -> str:
    version = pins((ROOT / "constraints.txt").read_text()).get("moto")
    if not version:
        raise Failed("moto version", "constraints.txt pins no moto==VERSION")
    return version


# --- the sdist and its tree ----------------------------------------------------------------


def download(work: Path, version: str) -> Path:
    sdist = work / f"moto-{version}.tar.gz"
    if sdist.exists():
        report(f"moto {version} sdist", f"cached ({display(sdist)})")
        return sdist
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    must(
        "download",
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-binary", ":all:", f"moto=={version}", "--dest", work],
    )  # fmt: skip
    if not sdist.exists():
        raise Failed("download", f"pip downloaded no {sdist.name} into {work}")
    report(f"moto {version} sdist", f"downloaded ({time.monotonic() - started:.0f} s)")
    return sdist


def unpack(sdist: Path, work: Path, version: str) -> Path:
    """The sdist's tree, with pristine copies of the files the drop-in edits in ``pristine/``."""
    tree = work / f"moto-{version}"
    marker = work / f".unpacked-{version}"
    if marker.exists() and tree.is_dir():
        report("unpack", f"cached ({display(tree)})")
        return tree
    scratch = work / ".unpacking"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(tree, ignore_errors=True)
    with tarfile.open(sdist) as archive:
        archive.extractall(scratch, filter="data")
    (scratch / tree.name).rename(tree)
    scratch.rmdir()
    pristine = work / "pristine"
    pristine.mkdir(exist_ok=True)
    for name in ("backend_index.py", "backends.py"):
        shutil.copy2(tree / "moto" / name, pristine / name)
    marker.touch()
    report("unpack", f"done ({display(tree)})")
    return tree


# --- the pull request ----------------------------------------------------------------------


def url_bases(urls: Path) -> list[str]:
    for node in ast.parse(urls.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "url_bases" for t in node.targets)
            and isinstance(node.value, ast.List)
        ):
            return [str(ast.literal_eval(item)) for item in node.value.elts]
    raise Failed("drop-in", f"{urls} has no literal url_bases = [...]")


def backend_class(models: Path) -> str:
    match = re.search(r"^class (\w+)\(BaseBackend\)", models.read_text(), re.MULTILINE)
    if not match:
        raise Failed("drop-in", f"{models} defines no class ...(BaseBackend)")
    return match[1]


def insert_sorted(lines: list[str], entries: Sequence[tuple[int, str]], key: str, new: str) -> None:
    """Insert ``new`` before the first entry (line index, sort key) whose key sorts after ``key``.

    moto's lists are sorted (by hand or by its scripts) with a few strays at their ends, so
    "before the first later one" lands where a maintainer would put it.
    """
    after = [index for index, other in entries if other > key]
    lines.insert(after[0] if after else entries[-1][0] + 1, new)


def index_entry(pattern: str) -> str:
    """A backend_index.py line as moto's update_backend_index.py writes it (pprint, then black)."""
    quoted = '"' + repr(pattern)[1:-1] + '"' if '"' not in pattern else repr(pattern)
    line = f'    ("{MODULE}", re.compile({quoted})),'
    if len(line) <= 88:
        return line
    return f'    (\n        "{MODULE}",\n        re.compile({quoted}),\n    ),'


def edit_backend_index(text: str, patterns: Sequence[str]) -> str:
    lines = text.splitlines()
    for pattern in patterns:
        entries = [
            (number, match[1])
            for number, line in enumerate(lines)
            if (match := re.match(r'\s+\("([\w-]+)"', line))
        ]
        insert_sorted(lines, entries, MODULE, index_entry(pattern))
    return "\n".join(lines) + "\n"


def overload(backend: str) -> str:
    line = f'def get_backend(name: "Literal[\'{SERVICE}\']") -> "BackendDict[{backend}]": ...'
    if len(line) > 88:
        line = (
            f"def get_backend(\n    name: \"Literal['{SERVICE}']\",\n)"
            f' -> "BackendDict[{backend}]": ...'
        )
    return "@overload\n" + line


def edit_backends(text: str, backend: str) -> str:
    """The three places every service has in backends.py: import, SERVICE_NAMES, overload."""
    lines = text.splitlines()
    imports = [
        (number, match[1])
        for number, line in enumerate(lines)
        if (match := re.match(r"    from (moto\.[\w.]+) import \w+$", line))
    ]
    module = f"moto.{MODULE}.models"
    insert_sorted(lines, imports, module, f"    from {module} import {backend}")
    start = lines.index("SERVICE_NAMES = Union[")
    end = lines.index("]", start)
    names = [
        (number, match[1])
        for number in range(start + 1, end)
        if (match := re.fullmatch(r"    \"Literal\['([\w-]+)'\]\",", lines[number]))
    ]
    insert_sorted(lines, names, SERVICE, f"    \"Literal['{SERVICE}']\",")
    blocks = [(number, line) for number, line in enumerate(lines) if line == "@overload"]
    keyed = []
    for number, _ in blocks:
        match = re.search(r"Literal\['([\w-]+)'\]", "\n".join(lines[number : number + 3]))
        if match:
            keyed.append((number, match[1]))
    insert_sorted(lines, keyed, SERVICE, overload(backend))
    return "\n".join(lines) + "\n"


def drop_in(options: Options, tree: Path) -> None:
    """Copy the service and its tests into the tree and register it, from pristine files."""
    # ruff.toml: this project's copy of moto's settings, not part of a pull request
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "ruff.toml")
    if not (options.tests / "__init__.py").exists() and not any(options.tests.glob("test_*.py")):
        raise Failed(
            "drop-in",
            f"no moto-style tests in {display(options.tests)}/: moto takes no service without "
            "its tests (--tests DIR to copy another folder)",
        )
    service, tests = tree / "moto" / MODULE, tree / "tests" / TESTS
    for source, target in ((options.service, service), (options.tests, tests)):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=ignore)
    pristine = options.work / "pristine"
    if f'("{MODULE}"' in (pristine / "backend_index.py").read_text():
        raise Failed("drop-in", f"this moto already has moto/{MODULE}: nothing to propose")
    patterns = url_bases(service / "urls.py")
    backend = backend_class(service / "models.py")
    (tree / "moto" / "backend_index.py").write_text(
        edit_backend_index((pristine / "backend_index.py").read_text(), patterns)
    )
    (tree / "moto" / "backends.py").write_text(
        edit_backends((pristine / "backends.py").read_text(), backend)
    )
    report(
        "drop-in",
        f"moto/{MODULE} <- {display(options.service)}, tests/{TESTS} <- {display(options.tests)}, "
        f"backend_index.py +{len(patterns)}, backends.py ({backend})",
    )
    if not (tests / "__init__.py").exists():
        report("note", f"tests/{TESTS} has no __init__.py (every moto test folder is a package)")
    report(
        "coverage",
        "skipped: the sdist has no scripts/ (implementation_coverage.py, update_backend_index.py)",
    )


def display(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# --- the venv ------------------------------------------------------------------------------


def tool_requirements(tree: Path) -> tuple[list[str], set[str]]:
    """ruff, mypy and mypy's stubs as moto's requirements-dev.txt pins them, plus pytest.

    A tool moto leaves unpinned (mypy, the stubs) takes the version of constraints.txt, where
    it has one; the names moto pins are returned to be dropped from the constraints.
    """
    dev = pins((tree / "requirements-dev.txt").read_text())
    wanted = ["ruff", "mypy", *sorted(name for name in dev if STUB.match(name))]
    requirements, overridden = ["pytest"], set()
    for name in wanted:
        if name not in dev and name in ("ruff", "mypy"):
            raise Failed("venv", f"moto's requirements-dev.txt does not list {name}")
        pinned = dev.get(name)
        if pinned:
            requirements.append(f"{name}=={pinned}")
            overridden.add(name)
        else:
            requirements.append(name)
    return requirements, overridden


def constraints_without(work: Path, names: set[str]) -> Path:
    """constraints.txt less moto (installed from the tree) and the tools moto pins otherwise."""
    kept = [
        line
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if normalize(re.split(r"[=<>!~ ]", line, maxsplit=1)[0]) not in names | {"moto"}
    ]
    path = work / "constraints.txt"
    path.write_text("\n".join(kept) + "\n")
    return path


def venv(options: Options, tree: Path, version: str) -> Path:
    """The venv with moto (editable, [server]) and the tools; cached by its stamp file."""
    bin_dir = options.venv / "bin"
    ours = pins((ROOT / "constraints.txt").read_text())
    requirements, overridden = tool_requirements(tree)
    constraints = constraints_without(options.work, overridden)
    wanted = json.dumps(
        {
            "moto": f"{tree}[server]",
            "version": version,
            "requirements": requirements,
            "constraints": constraints.read_text(),
        },
        sort_keys=True,
    )
    stamp = options.venv / ".moto-check-installed"
    versions = ", ".join(
        "{} {}".format(*req.split("==")) + " (moto's pin)"
        if "==" in req
        else f"{req} {ours[req]} (constraints.txt)"
        if req in ours
        else f"{req} (newest)"
        for req in requirements
    )
    if stamp.exists() and stamp.read_text() == wanted and (bin_dir / "python").exists():
        report("venv", f"cached ({display(options.venv)}: moto {version} [server], {versions})")
        return bin_dir
    started = time.monotonic()
    if not (bin_dir / "python").exists():
        must("venv", [sys.executable, "-m", "venv", options.venv])
    stamp.unlink(missing_ok=True)
    must(
        "venv",
        [bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", constraints, "-e", f"{tree}[server]", *requirements],
    )  # fmt: skip
    stamp.write_text(wanted)
    report(
        "venv",
        f"installed in {time.monotonic() - started:.0f} s ({display(options.venv)}: "
        f"moto {version} [server], {versions})",
    )
    return bin_dir


# --- the checks ----------------------------------------------------------------------------


def checks(bin_dir: Path) -> list[Check]:
    """The commands, run in the tree, so moto's pyproject.toml and setup.cfg configure them."""
    paths = (f"moto/{MODULE}", f"tests/{TESTS}", "moto/backend_index.py", "moto/backends.py")
    color = () if sys.stdout.isatty() else ("--color=no",)
    pytest = (str(bin_dir / "python"), "-m", "pytest", *color, f"tests/{TESTS}")
    return [
        Check("lint", "ruff check", (str(bin_dir / "ruff"), "check", *paths)),
        Check("lint", "ruff format --check", (str(bin_dir / "ruff"), "format", "--check", *paths)),
        # setup.cfg's [mypy] section, its `files` replaced by the service folder.
        Check("mypy", "mypy", (str(bin_dir / "mypy"), f"moto/{MODULE}")),
        Check("test", "pytest", pytest),
        Check("server", "pytest (server mode)", pytest),
    ]


def last_line(output: str) -> str:
    lines = [line.strip(" =") for line in output.splitlines() if line.strip(" =")]
    return lines[-1] if lines else "no output"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_for_port(port: int, server: subprocess.Popen[bytes], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        if listening(port):
            return True
        time.sleep(0.2)
    return False


def with_server(
    options: Options, tree: Path, bin_dir: Path, check: Check
) -> subprocess.CompletedProcess[str]:
    """Run ``check`` with TEST_SERVER_MODE=true against moto_server, started and stopped here."""
    port = options.port or free_port()
    if listening(port):
        return subprocess.CompletedProcess(check.command, 1, f"port {port} is already in use")
    env = dict(os.environ, MOTO_PORT=str(port))
    log_path = options.work / "moto_server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(bin_dir / "moto_server"), "-p", str(port)],
            cwd=tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        if not wait_for_port(port, server):
            return subprocess.CompletedProcess(
                check.command, 1, f"moto_server did not listen on {port}:\n{log_path.read_text()}"
            )
        env.update(TEST_SERVER_MODE="true", TEST_SERVER_MODE_ENDPOINT=f"http://localhost:{port}")
        done = run(check.command, tree, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if done.returncode != 0:
        done.stdout += f"\n--- moto_server's log ({display(log_path)}), last lines:\n"
        done.stdout += "\n".join(log_path.read_text().splitlines()[-30:])
    return done


def run_checks(options: Options, tree: Path, bin_dir: Path) -> list[str]:
    """Run the selected checks; the names of those that failed (stopping at the first unless
    ``keep_going``)."""
    failed = []
    for check in checks(bin_dir):
        if check.group not in options.only:
            continue
        started = time.monotonic()
        if check.group == "server":
            done = with_server(options, tree, bin_dir, check)
        else:
            done = run(check.command, tree)
        took = f"{time.monotonic() - started:.1f} s"
        if done.returncode == 0:
            report(check.name, f"ok ({took}): {last_line(done.stdout)}")
            continue
        report(check.name, f"FAILED ({took}, exit {done.returncode}): {' '.join(check.command)}")
        print(done.stdout.rstrip(), flush=True)
        failed.append(check.name)
        if not options.keep_going:
            break
    return failed


# --- the command line ----------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        description="emulator/ssmincidents checked as a moto pull request: dropped into the "
        "pinned moto's sdist, then moto's ruff, ruff format, mypy and pytest (in-process and "
        "against moto_server).",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=GROUPS,
        help="run only these checks (repeatable; the setup steps always run, cached)",
    )
    parser.add_argument("--skip", action="append", choices=GROUPS, default=[], help="skip these")
    parser.add_argument(
        "--keep-going", action="store_true", help="run every check, then exit 1 if any failed"
    )
    parser.add_argument(
        "--tests",
        type=Path,
        default=ROOT / "tests" / TESTS,
        help=f"the moto-style tests to copy to tests/{TESTS} (default: tests/{TESTS})",
    )
    parser.add_argument(
        "--service", type=Path, default=ROOT / "emulator" / MODULE, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--port", type=int, help="moto_server's port in server mode (default: a free one)"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "moto-check")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-moto")
    args = parser.parse_args(argv)
    only = frozenset(args.only or GROUPS) - frozenset(args.skip)
    return Options(
        work=args.work.resolve(),
        venv=args.venv.resolve(),
        service=args.service.resolve(),
        tests=args.tests.resolve(),
        only=only,
        keep_going=args.keep_going,
        port=args.port,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    started = time.monotonic()
    try:
        version = moto_version()
        tree = unpack(download(options.work, version), options.work, version)
        drop_in(options, tree)
        bin_dir = venv(options, tree, version)
    except Failed as failure:
        report(failure.step, "FAILED")
        print(failure.output.rstrip(), flush=True)
        return 1
    failed = run_checks(options, tree, bin_dir)
    took = f"{time.monotonic() - started:.0f} s"
    if failed:
        report("result", f"FAILED ({', '.join(failed)}) in {took}")
        return 1
    report("result", f"ok in {took} ({', '.join(g for g in GROUPS if g in options.only)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
