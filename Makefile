# Two commands for a fresh clone: `make run` (the app on demo data) and `make test` (every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/organizer: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

## The app on the demo database (demo.db in the data dir, made afresh; it prints how to point a shell at it).
run: $(BIN)/organizer
	$(BIN)/organizer demo

## Lint (ruff, the import contracts and mypy, all configured in pyproject.toml), then every test (two workers:
## this is a 2-core machine).
test: $(BIN)/organizer
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2

lint: $(BIN)/organizer
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## Benchmarks (not tests): see bench/README.md.
bench: $(BIN)/organizer
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
