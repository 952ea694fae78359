# Every target creates .venv itself on a fresh machine: nothing but python3 and pip is assumed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint demo serve package bench constraints clean explore

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Re-resolve the ranges of pyproject.toml to their newest versions and record them.
constraints:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	head -2 constraints.txt > constraints.new
	$(BIN)/python -m pip freeze --exclude-editable >> constraints.new
	mv constraints.new constraints.txt
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml examples/*.yaml

test: lint
	$(BIN)/pytest

# The randomized stack lifecycles, at random and much longer than in `make test`.
explore: $(STAMP)
	LIFECYCLE_EXAMPLES=$${LIFECYCLE_EXAMPLES:-500} $(BIN)/pytest -p no:randomly tests/provider/test_lifecycle_machine.py

demo: $(STAMP)
	$(BIN)/python -m emulator demo

bench: $(STAMP)
	$(BIN)/python -m bench.run

package: $(STAMP)
	$(BIN)/python scripts/package.py

serve: $(STAMP)
	$(BIN)/python -m emulator serve --port 5000 --transition-seconds 3

clean:
	rm -rf $(VENV) build dist *.egg-info
