# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CENTINELA_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export CENTINELA_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test lint typecheck unit install bench eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the service on the embedded default (SQLite under var/) at 127.0.0.1:8080 and replay
## the bundled sample traffic through its signed webhook; it then keeps serving (Ctrl-C stops).
run: $(STAMP)
	$(BIN)/centinela serve --demo

## Lint, type checks and the whole test suite (starts a local Redis and PostgreSQL if none is running).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	scripts/ensure-redis.sh "$$CENTINELA_TEST_REDIS_URL"
	scripts/ensure-postgres.sh "$$CENTINELA_TEST_DATABASE_URL"
	$(BIN)/pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/centinela bench

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
