# Every target creates .venv itself on a fresh machine: nothing but python3 and pip is assumed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The SAM CLI pins its dependencies exactly (click, boto3...) against moto's: a venv of its own.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed

.PHONY: help test test-long lint demo serve package bench bench-record constraints clean explore sam constraints-sam coverage moto-check

# A bare `make` lists the targets: each documented target has a "## what it does" comment.
help:
	@echo "make TARGET, where TARGET is one of:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(SAM_STAMP): requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $(SAM_STAMP)

# The SAM CLI this project is tested with, for `sam build` and `sam deploy` without a global one.
sam: $(SAM_STAMP) ## install the tested SAM CLI in .venv-sam
	@echo "$(SAM) --version: $$($(SAM) --version)"

# Re-resolve the ranges of pyproject.toml to their newest versions and record them.
constraints: ## re-resolve pyproject.toml's ranges into constraints.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	head -2 constraints.txt > constraints.new
	$(BIN)/python -m pip freeze --exclude-editable >> constraints.new
	mv constraints.new constraints.txt
	touch $(STAMP)

lint: $(STAMP) $(SAM_STAMP) ## ruff, ruff format, mypy, cfn-lint, sam validate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml examples/*.yaml
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --template-file template.yaml

# Both cores: the suite takes half the time (README: measured). The tests marked `long`
# (tests/conftest.py: LONG) are left to `make test-long`; CI runs both.
test: lint ## lint, then every test but the long ones, on both cores
	$(BIN)/pytest -n 2 -m "not long"

test-long: $(STAMP) $(SAM_STAMP) ## the long tests: stacks, commands, servers, builds, random runs
	SAM_CLI=$(SAM) $(BIN)/pytest -n 2 -m long

# The randomized stack lifecycles, at random and much longer than in `make test-long`.
explore: $(STAMP) ## the randomized stack lifecycles, 500 at random
	LIFECYCLE_EXAMPLES=$${LIFECYCLE_EXAMPLES:-500} $(BIN)/pytest -p no:randomly tests/provider/test_lifecycle_machine.py

demo: $(STAMP) ## the example stack's whole lifecycle on the emulator
	$(BIN)/python -m local_cloudformation demo

bench: $(STAMP) ## measure cold start, time to ready, API calls (build/bench)
	$(BIN)/python -m bench.run

# The run the README quotes, written where it is tracked.
bench-record: $(STAMP) ## the same, written to bench/results (the README's run)
	$(BIN)/python -m bench.run --out bench/results

package: $(STAMP) ## build the Lambda zip and build/template.yaml
	$(BIN)/python scripts/package.py

# Called by `sam build` (template.yaml: BuildMethod makefile) with ARTIFACTS_DIR set. It needs
# only python3 and pip, not .venv: the same staging as `make package`.
build-ProviderFunction:
	$(PYTHON) scripts/package.py --stage-only "$(ARTIFACTS_DIR)"

PORT ?= 5000
# `make serve PORT=5001`; add ARGS=--access-log for a line per HTTP request.
serve: $(STAMP) ## the emulator server with kept stacks (PORT=5000)
	$(BIN)/python -m local_cloudformation serve --port $(PORT) --transition-seconds 3 $(ARGS)

# The service folder as a moto pull request: dropped into the sdist of constraints.txt's moto,
# then moto's own ruff, ruff format, mypy and pytest (in-process and against moto_server), in a
# venv of its own (.venv-moto, stamped) with moto's ruff pin; stdlib only, so no .venv needed.
# `make moto-check ARGS="--only lint"`, or --keep-going, --tests DIR (README: moto-check).
.PHONY: moto-check
moto-check: ## emulator/ssmincidents checked as a moto pull request
	$(PYTHON) scripts/moto_check.py $(ARGS)

constraints-sam: ## re-resolve the SAM CLI's pins
	rm -rf $(SAM_VENV)
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli
	head -2 requirements-sam.txt > requirements-sam.new
	$(SAM_VENV)/bin/python -m pip freeze >> requirements-sam.new
	mv requirements-sam.new requirements-sam.txt
	touch $(SAM_STAMP)

clean: ## remove the venvs and build output
	rm -rf $(VENV) $(SAM_VENV) .venv-moto build dist .aws-sam *.egg-info

# Branch coverage of what ships: provider/, by the tests that drive it (README: measured).
coverage: $(STAMP) ## branch coverage of provider/ (build/coverage/index.html)
	$(BIN)/pytest -n 2 --cov=provider --cov-branch --cov-report=term-missing:skip-covered --cov-report=html:build/coverage tests/provider tests/core tests/stack
