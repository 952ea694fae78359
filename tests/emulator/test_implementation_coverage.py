"""The emulator's coverage list (emulator/IMPLEMENTATION_COVERAGE.md, as moto keeps one
per service) names every operation of the model and ticks those responses.py handles."""

from pathlib import Path

from emulator.operations import implemented_operations, method_name, operation_names

COVERAGE = Path(__file__).parents[2] / "emulator" / "IMPLEMENTATION_COVERAGE.md"


def test_the_coverage_list_names_every_operation_and_ticks_the_implemented() -> None:
    lines = [line for line in COVERAGE.read_text().splitlines() if line[:3] == "- ["]
    listed = {line[6:]: line[3] == "X" for line in lines}
    names = {method_name(op): op for op in operation_names()}
    assert set(listed) == set(names)
    ticked = {names[name] for name, done in listed.items() if done}
    assert ticked == implemented_operations()
