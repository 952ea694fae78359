"""The ``>>>`` examples in the docstrings of provider/ and emulator/ run as written: an example
a reader copies does what it shows."""

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import emulator
import provider


def modules(package: ModuleType) -> list[ModuleType]:
    """Every module of ``package``, but a ``__main__`` (importing it would run it)."""
    found = pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    names = [package.__name__, *(info.name for info in found)]
    return [importlib.import_module(name) for name in names if not name.endswith(".__main__")]


#: Each module with at least one example, and its examples.
EXAMPLES = {
    module.__name__: tests
    for module in (*modules(provider), *modules(emulator))
    if (tests := [test for test in doctest.DocTestFinder().find(module) if test.examples])
}


def test_the_examples_are_found() -> None:
    """The finder is not blind: the modules known to hold examples are among those found."""
    assert {"provider.spec", "provider.ownership", "provider.response_url"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_runs_as_written(name: str) -> None:
    runner = doctest.DocTestRunner()
    report: list[str] = []
    for test in EXAMPLES[name]:
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
