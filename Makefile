# Coachdesk — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.12 >/dev/null 2>&1 && echo python3.12 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: help install run worker beat test lint migrate seed check-python

help:
	@echo "make run      install, migrate, seed the demo and serve on http://127.0.0.1:$(PORT)"
	@echo "make test     ruff, import-linter and the test suite"
	@echo "make install  create .venv and install Coachdesk with its dev tools"
	@echo "make worker   run a Celery worker (needs REDIS_URL)"
	@echo "make beat     run Celery beat (needs REDIS_URL)"

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "ERROR: Coachdesk needs Python 3.12 or newer (Django 6.1 requires it)."; \
	  echo "       '$(PYTHON)' is $$($(PYTHON) --version 2>&1). With pyenv, the .python-version file"; \
	  echo "       selects 3.12; otherwise run: make PYTHON=/path/to/python3.12 <target>"; \
	  exit 1; }

$(VENV)/.installed: pyproject.toml | check-python
	@test -x $(PY) && $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
	  || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	@$(PY) manage.py migrate --noinput --verbosity 0 && echo "Database up to date."

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo "Serving Coachdesk on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=INFO

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# The suite runs in TEST_WORKERS processes (pytest-xdist), whole files per process so a
# module's shared fixtures (the seeded demo) are built once; each process has its own test
# database and Redis database. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile
	@echo "The condition tests again on SQLite (what make run uses):"
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest -n 0 -q \
	  tests/opportunities/test_conditions.py tests/opportunities/test_property.py
