# Two commands: `make run` and `make test`. Everything else is a step they share.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES := $(shell grep -v '^\#' system-packages.txt)
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := tiktok.settings

.PHONY: run test test-fast lint system-deps venv migrate ci clean

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

venv: system-deps $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

run: venv migrate
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py setup_schedules
	$(PY) manage.py ensure_demo_admin
	$(PY) manage.py prepare_models
	@echo "Serving http://$(HOST):$(PORT)/ (admin at /admin/). Demo clips are queued now; the feed fills as they finish. Ctrl-C stops everything." >&2
	@trap 'trap - INT TERM; kill 0 2>/dev/null; wait; exit 0' INT TERM; \
	$(PY) manage.py qcluster & \
	Q_CLUSTER_NAME=long $(PY) manage.py qcluster & \
	$(VENV)/bin/gunicorn tiktok.wsgi -b $(HOST):$(PORT) -w 2 --timeout 600 --access-logfile - & \
	$(PY) manage.py seed_demo & \
	wait

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: venv lint
	$(VENV)/bin/pytest

test-fast: venv lint
	$(VENV)/bin/pytest -m "not slow"

ci:
	.ci/run

clean:
	rm -rf var test-artifacts
