# Ouroboros: the two set-up commands are `make run` and `make test`; both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
# Python 3.12 (the Lambda runtime): the first one found on PATH or under pyenv.
PYTHON312 ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12.*/bin/python3.12 /root/.pyenv/versions/3.12.*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12; do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
PYTEST_ARGS ?=
# `make run PORT=8101` serves the console on another port; `make run ARGS="-v 2"` prints the log.
PORT ?= 8000
ARGS ?=
# Test processes (pytest-xdist; one file stays on one worker); `make test PYTEST_WORKERS=0` runs serially.
PYTEST_WORKERS ?= auto
# Python caches compiled bytecode by default; an environment that turns that off
# (PYTHONDONTWRITEBYTECODE=1, as some sandboxes do) makes every test worker and every Python
# subprocess compile the whole project from source again: about a fifth of `make test-fast`'s CPU.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help run test test-fast lint format deps node-deps browser-deps clean bench package audit

help:
	@echo "make run    set up what is missing, start the local runtime with demo data, serve http://127.0.0.1:8000 (PORT=8101 for another port)"
	@echo "make test   set up what is missing and run the whole suite"
	@echo "make lint   ruff + mypy"
	@echo "make package  build .venv-lambda, what the zappa commands package (Lambda's wheels, forced bytecode)"

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found (install python3.12 or pyenv 3.12)"; exit 1; }
	@test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

node_modules/.installed: package.json
	@command -v npm >/dev/null || { echo "WARNING: npm missing: the local runtime will fall back to moto's DynamoDB (data will not persist)"; exit 0; }
	npm install --no-package-lock --silent
	@touch $@

deps: $(VENV)/.installed node_modules/.installed

browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: deps
	$(PY) manage.py runlocal --port $(PORT) $(ARGS)

test: deps browser-deps
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=20 $(PYTEST_ARGS)

test-fast: deps
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not integration and not browser" $(PYTEST_ARGS)

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: deps
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The runtime-only environment Zappa packages from (deploy/runtime_env.py): the wheels of the
# Lambda runtime (manylinux2014 x86_64, CPython 3.12, wheels only) whatever the build machine,
# source maps and duplicate app assets pruned, bytecode recompiled (forced, hash-checked).
# A no-op when already built from the current pins.
package: deps
	$(PY) -c 'from deploy.runtime_env import runtime_env_ensure; print(runtime_env_ensure())'

clean:
	rm -rf $(VENV) node_modules .local .mypy_cache .ruff_cache

audit: deps
	$(PY) .ci/audit.py
