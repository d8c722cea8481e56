# Two commands do everything on a fresh machine with Python 3.11+, make and PyPI:
#   make run    set up .venv, build the store, write the default crossover report (reports/crossover.html)
#   make test   set up .venv (with test tools) and run the whole test suite
PYTHON ?= python3
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv build info dictionary reports clean

run: $(STAMP)
	$(BIN)/costmodel db build
	$(BIN)/costmodel report crossover

test: $(STAMP)
	$(BIN)/python -m pytest

venv: $(STAMP)

# pip prints its warnings and errors and nothing else: --quiet, no version check, and the line pip writes
# for each project a configured local file:// index lacks (a machine's pip.conf extra-index-url holding
# some projects only) is dropped; pip's exit status stands (pipefail). constraints.txt pins the releases
# the tests were written against (pyproject.toml itself states ranges).
PIP := $(BIN)/python -m pip --disable-pip-version-check
PIP_FILTER := 2>&1 | { grep -v "' is ignored: it is neither a file nor a directory" >&2 || true; }

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	@echo "pip install -e '.[dev]' (costmodel, every extra and the test tools) into $(VENV)"
	@set -o pipefail; $(PIP) install --quiet --upgrade pip $(PIP_FILTER)
	@set -o pipefail; $(PIP) install --quiet -c constraints.txt -e '.[dev]' $(PIP_FILTER)
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/costmodel db build

info: $(STAMP)
	$(BIN)/costmodel db info

reports: $(STAMP)
	$(BIN)/costmodel report --all

dictionary: $(STAMP)
	$(BIN)/python -m costmodel.store.dictionary > data/DATA_DICTIONARY.md

clean:
	rm -rf $(VENV) data/costmodel.duckdb data/costmodel.duckdb.wal
