"""The shape of ``provider/`` a newcomer can hold: each module above everything it imports, on
at most 7 floors, and no class longer than a reader follows at once (README, "Code layout")."""

import ast
from functools import cache
from pathlib import Path

PROVIDER = Path(__file__).parents[2] / "provider"
MODULES = {path.stem: ast.parse(path.read_text()) for path in PROVIDER.glob("*.py")}
MOST_FLOORS = 7
LONGEST_CLASS = 130  # lines, docstring included: "about 120"


def imports(name: str) -> set[str]:
    """The provider modules ``name`` imports (relative imports: ``from .x import``, ``from .
    import x``), type-checking ones included."""
    found: set[str] = set()
    for node in ast.walk(MODULES[name]):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found & set(MODULES) - {"__init__"}


@cache
def floor(name: str) -> int:
    """1 for a module that imports no provider module; else one above its highest import."""
    return 1 + max((floor(other) for other in imports(name)), default=0)


def test_provider_modules_stand_on_at_most_seven_floors() -> None:
    floors = {name: floor(name) for name in MODULES if name != "__init__"}
    assert max(floors.values()) <= MOST_FLOORS, sorted(floors.items(), key=lambda kv: kv[1])
    assert floors["app"] == max(floors.values())  # the runner is the top: nothing imports it


def test_no_provider_class_is_longer_than_a_reader_follows_at_once() -> None:
    long = {
        f"{name}.{node.name}": (node.end_lineno or 0) - node.lineno + 1
        for name, tree in MODULES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and (node.end_lineno or 0) - node.lineno >= LONGEST_CLASS
    }
    assert long == {}
