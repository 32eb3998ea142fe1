# fangkong — the two commands in the README: `make demo` and `make test`. Everything they need,
# they install (a virtualenv under .venv, npm packages from package-lock.json, Debian packages
# through scripts/system_deps.sh when run as root).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHELL := /bin/bash

.PHONY: setup demo test test-sqlite test-postgres system-deps assets messages lint bench clean

setup: system-deps $(VENV)/.installed assets messages

system-deps:
	@bash scripts/system_deps.sh

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json $(VENV)/.installed
	@$(BIN)/python scripts/build_assets.py

messages:
	@for po in $$(find fangkong -name '*.po'); do msgfmt --check-format -o "$${po%.po}.mo" "$$po" || exit 1; done

demo: setup
	$(BIN)/fangkong demo

test: setup
	@bash scripts/run_tests.sh

test-sqlite: setup
	@ONLY=sqlite bash scripts/run_tests.sh

test-postgres: setup
	@ONLY=postgres bash scripts/run_tests.sh

lint: setup
	$(BIN)/ruff check fangkong scripts
	DEBUG=1 $(BIN)/fangkong makemigrations --check --dry-run

clean:
	rm -rf var/fangkong.sqlite3* var/huey.sqlite3* var/static test-artifacts
