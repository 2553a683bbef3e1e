# The two commands of the README: `make run` serves the app, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := taskchat

.PHONY: run test install install-dev vendor chromium lint bench bench-http clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python vendor
	$(BIN)/pip install --quiet -e '.[postgres]'

install-dev: $(BIN)/python vendor
	$(BIN)/pip install --quiet -e '.[dev]'

# htmx and its extensions come by name from the npm registry (package-lock.json pins them)
# and are copied into static/vendor/, which is not committed.
vendor:
	@if [ -f package.json ]; then npm ci --no-audit --no-fund --loglevel=error && node scripts/vendor.mjs; fi

run: install
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# The browser tests drive Debian's chromium (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install-dev chromium
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

bench: install-dev
	$(BIN)/python -m benchmarks

# The app over HTTP under gunicorn (SQLite, then PostgreSQL) against /healthz and the official
# ChatKit server, driven by wrk (apt-get installs it when missing). Not part of `make test`.
bench-http: install-dev
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.http

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
