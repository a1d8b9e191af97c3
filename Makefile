# One command surface for developers and CI. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install kafka format lint typecheck test unit contract integration e2e faults run bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install retailsync with its dev tools

kafka: $(STAMP) ## resolve the Apache Kafka jars from Maven Central into the cache (once)
	$(BIN)/retailsync broker fetch

format: $(STAMP) ## format and autofix the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: $(STAMP) ## ruff, and the layering contracts (import-linter)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(STAMP) ## mypy, strict for the packages
	$(BIN)/mypy
	$(BIN)/mypy --no-strict-optional --allow-untyped-defs --allow-incomplete-defs --allow-untyped-calls --disable-error-code=no-any-return tests bench

test: lint typecheck kafka ## lint, typecheck, then every test tier against a real broker
	$(BIN)/pytest

unit: $(STAMP) ## the unit tier only (no broker)
	$(BIN)/pytest -m unit

contract: $(STAMP) ## the sandbox Odoo's contract tests (ODOO_URL… points them at a real Odoo)
	$(BIN)/pytest -m contract

integration: kafka ## the integration tier only (starts a real broker)
	$(BIN)/pytest -m integration

e2e: kafka ## the whole pipeline as `retailsync run` starts it
	$(BIN)/pytest -m e2e

faults: kafka ## the fault suite: the whole pipeline under faults, then its table (< 15 min)
	$(BIN)/pytest -m faults tests/faults

run: kafka ## start the local broker and apply topology.yaml to it
	$(BIN)/retailsync run

bench: $(STAMP) ## benchmarks; they print figures
	$(BIN)/python -m bench

clean: ## stop the local broker and remove its data
	-$(BIN)/retailsync broker stop
	rm -rf .retailsync
