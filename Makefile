# Fengqiao Hall: the two commands a newcomer needs are `make run` and `make test`.
#
#   make run     set everything up (system packages, .venv, translations, database, demo hall)
#                and serve with gunicorn on 127.0.0.1:$(PORT)
#   make test    the same set-up (plus Chromium for the browser tests), then the whole suite;
#                TEST_DATABASE_URL=postgresql://… runs every database test on PostgreSQL too
#   make dev     Flask's reloader with the debugger, for development only
#   make bench   the benchmarks (figures, not pass/fail): see docs/benchmarks.md
#
# Settings (environment or `make run PORT=8000`): PORT, HOST, WORKERS, THREADS, DATABASE_URL,
# SECRET_KEY, PUBLIC_BASE_URL, RATELIMIT_STORAGE_URI; PYTEST_ARGS and TEST_WORKERS for `make test`.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 5000
HOST ?= 127.0.0.1
# One single-threaded (sync) worker per half core plus one, gunicorn's own rule of thumb: the
# app is CPU-bound Python, and threads sharing one interpreter lock lengthened the slowest
# answers under load (docs/benchmarks.md, "Workers and threads").
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 + 1 )))
THREADS ?= 1
PYTEST_ARGS ?=
# The suite runs in this many pytest-xdist processes (each with its own databases and servers):
# the browser tests spend much of their time waiting, so two cores carry more than two.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
GUNICORN_FLAGS = --workers $(WORKERS) --threads $(THREADS) --bind $(HOST):$(PORT) \
                 --access-logfile - --graceful-timeout 10

# Settings given on make's command line reach the programs it starts; unset ones stay unset
# (an empty DATABASE_URL would not mean "the default").
ifdef DATABASE_URL
export DATABASE_URL
endif
ifdef TEST_DATABASE_URL
export TEST_DATABASE_URL
endif
ifdef SECRET_KEY
export SECRET_KEY
endif
ifdef PUBLIC_BASE_URL
export PUBLIC_BASE_URL
endif
ifdef RATELIMIT_STORAGE_URI
export RATELIMIT_STORAGE_URI
endif

STAMP := $(VENV)/.installed
PO := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run dev test bench setup setup-test database system-deps system-deps-test clean help

help:
	@sed -n '1,12p' Makefile

run: system-deps setup database
	@scripts/banner.sh "$(HOST)" "$(PORT)"
	exec $(VENV)/bin/gunicorn --config gunicorn.conf.py $(GUNICORN_FLAGS) wsgi:app

dev: system-deps setup database
	@scripts/banner.sh "$(HOST)" "$(PORT)"
	exec $(FLASK) run --debug --host $(HOST) --port $(PORT)

test: system-deps-test setup
	$(PY) -m pytest -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: setup
	@scripts/system-deps.sh bench
	$(PY) bench/run.py $(BENCH_ARGS)

system-deps:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

setup: $(STAMP) $(MO)

# The virtual environment, reinstalled only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# Compiled translations (not kept in git), rebuilt when a catalogue changes.
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(PY) scripts/i18n.py --compile

# Schema up to date; the demo hall loaded into an empty database.
database: setup
	@mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) load-demo-if-empty

clean:
	rm -rf $(VENV) build *.egg-info translations/*/LC_MESSAGES/messages.mo
