# Two commands: `make run` and `make test`. Everything else is a step they share.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
SYSTEM_PACKAGES := $(shell grep -v '^\#' system-packages.txt)
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := tiktok.settings

.PHONY: run test test-fast lint system-deps venv migrate ci clean requirements

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing" >&2; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Please install these system packages first:$$missing" >&2; exit 1; \
	  fi; \
	fi

$(STAMP): requirements.txt | system-deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	@touch $(STAMP)

# Test and lint tools go into the same venv, only for the targets that use them.
$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(PIP) install -q -r requirements-dev.txt
	@touch $(DEV_STAMP)

venv: system-deps $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

# Set-up steps print one line each (their output goes to var/log/setup.log), then the server, both
# job clusters and the demo seeding start (var/log/run.log); the address and the demo admin's
# credentials come last, once the server answers. Ctrl-C stops everything.
run: venv
	@HOST=$(HOST) PORT=$(PORT) VENV=$(VENV) bash scripts/run.sh

lint: venv $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: venv $(DEV_STAMP) lint
	$(VENV)/bin/pytest

test-fast: venv $(DEV_STAMP) lint
	$(VENV)/bin/pytest -m "not slow"

# Recompiles both pinned files from the .in files, keeping every pin that still fits (pip-tools,
# not uv or poetry: only pip finds the CPU build of torch on the project's machines).
requirements: $(DEV_STAMP)
	$(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

ci:
	.ci/run

clean:
	rm -rf var test-artifacts
