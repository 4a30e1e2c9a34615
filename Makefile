# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup lint bench

$(BIN)/lifeledger: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/lifeledger

setup: $(BIN)/lifeledger

## Set up and serve (SQLite by default); `serve` loads the demo data into an empty ledger.
run: setup
	$(BIN)/lifeledger serve

## Lint, check the formatting and type-check: what `make test` checks before the tests.
lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## Set up and run the whole test suite: `lint`, then the tests on SQLite and PostgreSQL.
test: lint
	$(BIN)/python -m pytest -n 2 -q

bench: setup
	$(BIN)/python bench/ingest.py
