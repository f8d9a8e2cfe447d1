# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CENTINELA_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export CENTINELA_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
# pytest-xdist workers for `make test`: twice the cores, since most tests wait on sockets and child
# processes (servers, replicas, the reading helper) rather than compute; `TEST_WORKERS=0` runs serially.
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc 2>/dev/null || echo 1) )))

.PHONY: run test lint typecheck unit install bench eval clean chaos

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

## Lint, type checks, import contracts, the dependency check and the whole test suite
## (starts a local Redis and PostgreSQL if none is running).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/deptry .
	scripts/ensure-redis.sh "$$CENTINELA_TEST_REDIS_URL"
	scripts/ensure-dovecot.sh
	scripts/ensure-chromium.sh
	scripts/ensure-postgres.sh "$$CENTINELA_TEST_DATABASE_URL"
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal

bench: $(STAMP)
	$(BIN)/centinela bench

## Crash-consistency run (minutes, not part of `make test`): 3,000 signed messages through the
## real service, SIGKILLed 5 times, poison rows and hostile requests mixed in (var/chaos/report.json);
## then 200 signed req/s for 2 minutes with the workers paused and on (var/chaos/load.json), and
## the OpenAPI and adapter-translation fuzzers with 12x the budget of `make test`. Fails if a
## promise was broken.
CHAOS_ARGS ?= --messages 3000 --kills 5 --poison 3 --bad 200
chaos: $(STAMP)
	$(BIN)/python -m bench.chaos $(CHAOS_ARGS) --report var/chaos/report.json
	$(BIN)/python -m bench.load --rate 200 --seconds 120 --report var/chaos/load.json
	CENTINELA_FUZZ_EXAMPLES=60 $(BIN)/pytest -q -p no:cacheprovider \
		tests/scenario/test_openapi_fuzz.py tests/contract/test_adapter_translation_fuzz.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache .hypothesis
