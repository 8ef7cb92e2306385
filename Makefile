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

# Benchmark sizes (the issue's province scale by default; e.g. make bench BENCH_ASSOCIATIONS=5000
# BENCH_ENTITIES=50000 BENCH_IMPORT_ROWS=5000 BENCH_SECONDS=5 for a quick look).
BENCH_TENANTS      ?= 200
BENCH_ASSOCIATIONS ?= 100000
BENCH_ENTITIES     ?= 1000000
BENCH_IMPORT_ROWS  ?= 100000
BENCH_SECONDS      ?= 30
BENCH_REPEAT       ?= 200
BENCH_SQLITE_URL   ?= sqlite:///$(CURDIR)/instance/bench/bench.db
BENCH_PG_URL       ?= postgresql+psycopg://postgres@$(PG_HOST):$(PG_PORT)/quanhui_bench
BENCH_REDIS_URL    ?= redis://127.0.0.1:6379/15

.PHONY: run test test-sqlite test-postgres reliability bench vendor vendor-check

# Serve the demo with one job worker (SQLite under ./instance unless QUANHUI_DATABASE_URL says otherwise).
run: $(VENV)/.installed
	$(VENV)/bin/quanhui demo
	@# One worker beside the web server (imports and other long work run there); Ctrl-C
	@# reaches both (one process group), and the trap ends the worker if serve stops first.
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(VENV)/bin/quanhui worker & worker=$$!; \
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

# Generate province-scale data on SQLite (and PostgreSQL when one answers), then run every
# scenario of docs/performance.md on both and print the table (also written to instance/bench/results.md).
bench: $(VENV)/.installed
	@databases=sqlite; \
	if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h $(PG_HOST) -p $(PG_PORT); then databases=sqlite,postgresql; \
	else echo "==> bench: PostgreSQL skipped (nothing answers on $(PG_HOST):$(PG_PORT))"; fi; \
	sizes="--tenants $(BENCH_TENANTS) --associations $(BENCH_ASSOCIATIONS) --entities $(BENCH_ENTITIES)"; \
	QUANHUI_INSTANCE=$(CURDIR)/instance/bench $(PY) -m bench.generate --reset --database-url "$(BENCH_SQLITE_URL)" $$sizes || exit 1; \
	if [ $$databases != sqlite ]; then \
	  $(PY) -m bench.generate --reset --database-url "$(BENCH_PG_URL)" $$sizes || exit 1; fi; \
	QUANHUI_INSTANCE=$(CURDIR)/instance/bench $(PY) -m bench.run --databases $$databases \
	  --sqlite-url "$(BENCH_SQLITE_URL)" --postgres-url "$(BENCH_PG_URL)" --redis-url "$(BENCH_REDIS_URL)" \
	  --import-rows $(BENCH_IMPORT_ROWS) --seconds $(BENCH_SECONDS) --repeat $(BENCH_REPEAT) \
	  --markdown instance/bench/results.md

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
