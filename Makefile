# Two commands do everything on a fresh machine with Python 3.11+, make and PyPI:
#   make run    set up .venv, build the store, write the default crossover report (reports/crossover.html)
#   make test   set up .venv (with test tools) and run the whole test suite
PYTHON ?= python3
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

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/costmodel db build

info: $(STAMP)
	$(BIN)/costmodel db info

reports: $(STAMP)
	$(BIN)/costmodel report --all

dictionary: $(STAMP)
	$(BIN)/python -m costmodel.dictionary > data/DATA_DICTIONARY.md

clean:
	rm -rf $(VENV) data/costmodel.duckdb data/costmodel.duckdb.wal
