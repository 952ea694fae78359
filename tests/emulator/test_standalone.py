"""The emulator stands alone: nothing in it imports the provider, so each can catch the
other's mistakes, and the emulator could go to moto as it is."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_no_module_of_the_emulator_imports_the_provider_or_the_runner() -> None:
    for path in (ROOT / "emulator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                top = name.split(".")[0]
                assert top not in ("provider", "local_cloudformation"), f"{path}: {name}"


def test_loading_every_emulator_module_loads_no_provider_module() -> None:
    check = (
        "import sys, emulator, emulator.server, emulator.control, emulator.__main__\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('provider', 'local_cloudformation')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_service_folder_imports_only_moto_botocore_the_standard_library_and_itself() -> None:
    """What a moto pull request may hold: no import of the test controls or of this project."""
    allowed = {"moto", "botocore", *sys.stdlib_module_names}
    for path in (ROOT / "emulator" / "ssmincidents").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                tops = [(node.module or "").split(".")[0]]
            elif isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            else:
                continue
            assert set(tops) <= allowed, f"{path.name} imports {tops}"
