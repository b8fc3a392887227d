# The first two targets are the README's set-up: `make run` (demo) and `make test` (suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install clean

run: $(STAMP)
	$(BIN)/huika init
	$(BIN)/huika demo
	$(BIN)/huika serve --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m tests.bench

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) instance *.egg-info .pytest_cache
