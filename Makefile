# The first two targets are the README's set-up: `make run` (demo) and `make test` (suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Compiled message catalogs (git-ignored), rebuilt from the .po files.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard webui/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test soak bench install clean translations

run: $(STAMP) $(CATALOGS)
	$(BIN)/huika init
	$(BIN)/huika demo
	$(BIN)/huika serve --host 127.0.0.1 --port 5000

# The suite runs on TEST_WORKERS processes (pytest-xdist; each has its own PostgreSQL server,
# SQLite files and browser); work-stealing keeps both busy to the end. The project's .pyc
# files are written first, so the servers and commands the tests start (gunicorn restarted
# 40 times by the fault tests) do not compile the sources each time when the environment
# says PYTHONDONTWRITEBYTECODE. `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= logical
test: $(STAMP) $(CATALOGS)
	$(BIN)/python -m compileall -q core plugins webui schemas >/dev/null
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

# Long fault runs (pytest marker `soak`, left out of `make test`): 200 SIGKILL cycles of the
# server under load and 1,600 concurrent debits of one card, on SQLite and PostgreSQL.
soak: $(STAMP) $(CATALOGS)
	$(BIN)/pytest -m soak -s

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# The catalogues too: `huika serve` after `make install` shows Chinese (H8).
install: $(STAMP) $(CATALOGS)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

# Re-extract UI strings and merge them into the catalogs (then translate the new ones).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o webui/translations/messages.pot .
	$(BIN)/pybabel update -i webui/translations/messages.pot -d webui/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance *.egg-info .pytest_cache
