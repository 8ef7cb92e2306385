# quanhui (泉汇): `make run` serves the demo, `make test` runs the whole suite.

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(PY) -m pip --disable-pip-version-check
# Extra arguments for every pytest pass, e.g. make test PYTEST_ARGS="-x -k tenancy"
PYTEST_ARGS ?=
# The PostgreSQL pass runs when a server answers here (or QUANHUI_TEST_DATABASE_URL is set);
# core/testing.py makes one database per xdist worker by suffixing the worker id.
PG_HOST     ?= 127.0.0.1
PG_PORT     ?= 5432
PG_TEST_URL ?= postgresql+psycopg://postgres@$(PG_HOST):$(PG_PORT)/quanhui_test

.PHONY: run test test-sqlite test-postgres reliability vendor vendor-check

# Serve the demo (SQLite under ./instance unless QUANHUI_DATABASE_URL says otherwise).
run: $(VENV)/.installed
	$(VENV)/bin/quanhui demo
	$(VENV)/bin/quanhui serve --host 127.0.0.1 --port 5000

# The whole suite on SQLite, then again on PostgreSQL when one is available. Both passes
# always run; make test fails if either does (pytest's 5, "no tests collected", included).
test: $(VENV)/.installed-test
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	$(MAKE) --no-print-directory test-postgres || status=1; \
	if [ $$status -ne 0 ]; then echo "==> quanhui tests FAILED (see the pass above)"; else echo "==> quanhui tests passed"; fi; \
	exit $$status

# Pass 1: SQLite, browser tests included (Debian's chromium driven by Playwright).
test-sqlite: $(VENV)/.installed-test
	@echo "==> quanhui test pass 1/2: SQLite (all tests, browser tests included)"
	env -u QUANHUI_TEST_DATABASE_URL $(PY) -m pytest -n auto $(PYTEST_ARGS)

# Pass 2: PostgreSQL (row-level security live), browser tests left to pass 1.
test-postgres: $(VENV)/.installed-test
	@url="$${QUANHUI_TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then \
	  if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h $(PG_HOST) -p $(PG_PORT); then \
	    url="$(PG_TEST_URL)"; \
	  else \
	    echo "==> quanhui test pass 2/2: PostgreSQL skipped (nothing answers on $(PG_HOST):$(PG_PORT); set QUANHUI_TEST_DATABASE_URL to use another server)"; \
	    exit 0; \
	  fi; \
	fi; \
	shown=$$(printf '%s' "$$url" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#'); \
	echo "==> quanhui test pass 2/2: PostgreSQL ($$shown, browser tests excluded)"; \
	echo "QUANHUI_TEST_DATABASE_URL=$$shown $(PY) -m pytest -n auto -m 'not browser' $(PYTEST_ARGS)"; \
	QUANHUI_TEST_DATABASE_URL="$$url" $(PY) -m pytest -n auto -m "not browser" $(PYTEST_ARGS)

# Run the security and reliability tests (SQLite, then PostgreSQL when one answers) and write
# docs/reliability.md from their results; fails when a test does.
reliability: $(VENV)/.installed-test
	$(PY) scripts/reliability_report.py

# Re-fetch the pinned front-end assets from the npm registry (see core/static/vendor/README.md).
vendor: $(PY)
	$(PY) scripts/vendor_assets.py

# Verify the committed assets against core/static/vendor/manifest.toml, offline.
vendor-check: $(PY)
	$(PY) scripts/vendor_assets.py --check

$(PY):
	$(PYTHON) -m venv $(VENV)

# Install once, and again whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -q -e ".[test]"
	$(PIP) install -q -e examples/leader_review
	@touch $@ $(VENV)/.installed
