# warroom: two commands on a fresh machine — `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres install clean bench

$(STAMP): pyproject.toml setup.py $(wildcard src/warroom/*/*.c)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Install, apply migrations and serve the embedded default on http://127.0.0.1:8080
## (with the example configuration unless WARROOM_CONFIG names yours)
EXAMPLE_CONFIG := src/warroom/config/example.yaml
run: $(STAMP)
	$(BIN)/warroom db upgrade
	WARROOM_CONFIG="$${WARROOM_CONFIG:-$(EXAMPLE_CONFIG)}" $(BIN)/warroom serve --host 127.0.0.1 --port 8080

## The whole suite on SQLite, then the database tests again on PostgreSQL
test: $(STAMP)
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-postgres

test-postgres: $(STAMP)
	@if $(BIN)/python -m warroom.testing.pg_available "$(PG_TEST_URL)"; then \
		echo "== PostgreSQL pass against $(PG_TEST_URL) =="; \
		WARROOM_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/python -m pytest -n auto -m db $(PYTEST_ARGS); \
	elif [ -n "$$WARROOM_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required (WARROOM_REQUIRE_POSTGRES) but unreachable at $(PG_TEST_URL)"; exit 1; \
	else \
		echo "PostgreSQL not reachable at $(PG_TEST_URL): skipping the PostgreSQL pass (SQLite pass ran)"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
