# The two commands of the README: `make run` serves the sandbox shop, `make test` runs the tests.
# Each sets itself up on a fresh machine (a virtualenv in .venv from the pinned requirements).
# `make bench` measures what the proxy adds on top of each shop (docs/benchmark.md, about 10 minutes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench demo derive clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	PORT=$${PORT:-8000} $(BIN)/gunicorn app:app

# On every core (pytest-xdist); PYTEST_ARGS="-n 0" runs in one process.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# Rewrites what the tests take from ../shared (tests/derive.py); commit the result.
derive: $(STAMP)
	$(BIN)/python -m tests.derive

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench.all $(BENCH_ARGS)

demo: $(STAMP)
	$(BIN)/flask fast demo

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
