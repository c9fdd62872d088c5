# Two commands set up a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo serve test test-sqlite test-postgres browser lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,workers]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m newsdesk migrate --noinput
	$(PY) -m newsdesk demo

serve: $(STAMP)
	$(PY) -m newsdesk migrate --noinput
	@# --insecure: runserver serves the static files (CSS, JS) although DEBUG is off;
	@# fine on 127.0.0.1, not a way to serve the public.
	$(PY) -m newsdesk runserver --insecure 127.0.0.1:8000

# Static checks first: they are quick and a style or type slip fails like a test.
test: lint typecheck test-sqlite test-postgres

test-sqlite: $(STAMP) browser
	$(PY) -m pytest -q -p no:cacheprovider

# Runs the database tests again on PostgreSQL. Outside CI an unreachable server is a
# clear skip; in CI (CI=true) it is a failure.
test-postgres: $(STAMP) browser
	$(PY) scripts/with_postgres.py $(PY) -m pytest -q -p no:cacheprovider --db-only

# The browser tests drive Debian's Chromium (never a downloaded browser build).
# Outside CI a machine without apt-get skips the browser tests (they say why); in CI
# the browser is required.
browser:
	@bash scripts/install_browser.sh || [ "$$CI" != "true" ]

lint: $(STAMP)
	$(VENV)/bin/ruff check newsdesk bench scripts tests conftest.py
	$(VENV)/bin/ruff format --check newsdesk bench scripts tests conftest.py

typecheck: $(STAMP)
	$(VENV)/bin/mypy newsdesk bench scripts tests

clean:
	rm -rf $(VENV) var outbox
