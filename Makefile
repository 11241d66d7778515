# devpi-django: `make serve` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# what is installed comes from the locks (hashes checked), made from
# pyproject.toml by `make lock`: requirements.lock is the runtime only (make
# serve), requirements-dev.lock adds the cli and dev extras (make test, CI)
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
# the locks are made for this machine's interpreter (CI runs on the same kind)
LOCK_PYTHON := $(shell $(PYTHON) -c "import platform; print(platform.python_version())")
PIP_LOCKED := $(PY) -m pip install --quiet --require-hashes --no-deps
UV_COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes \
	--python-version $(LOCK_PYTHON) --custom-compile-command "make lock"
export DEVPI_DATA_DIR ?= $(CURDIR)/var
PYTEST_WORKERS ?= auto
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/devpi_django

.PHONY: install install-runtime lock lint browser-deps deploy-deps serve init test test-postgres test-cluster test-devpi-client test-api-fuzz test-fast bench bench-smoke clean

$(RUNTIME_STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) -r requirements.lock
	touch $(RUNTIME_STAMP)

$(DEV_STAMP): requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) -r requirements-dev.lock
	touch $(DEV_STAMP)

install-runtime: $(RUNTIME_STAMP)

install: $(DEV_STAMP)

# the locks again from pyproject.toml, with requirements.txt and
# requirements-dev.txt as constraints (the exact versions); needs uv, from
# the dev set
lock: $(DEV_STAMP)
	$(UV_COMPILE) -c requirements.txt -o requirements.lock
	$(UV_COMPILE) --extra cli --extra dev -c requirements.txt -c requirements-dev.txt \
		-o requirements-dev.lock

# Debian's chromium and chromium-driver for the browser tests (never a
# downloaded browser); apt-get runs only when they are missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		$(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium chromium-driver; \
	fi

# Debian's nginx for the tests of deploy/ (the site in front of gunicorn);
# apt-get runs only when it is missing.
deploy-deps:
	@if [ ! -x /usr/sbin/nginx ]; then \
		$(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y nginx; \
	fi

init: install-runtime
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py devpi_init
	$(PY) manage.py collectstatic --noinput -v0

serve: init
	$(VENV)/bin/gunicorn -c devpi_django/gunicorn_conf.py devpi_django.wsgi

# ruff (lint and format) and mypy with the Django plugin, as configured in
# pyproject.toml; the same checks run in pre-commit (.pre-commit-config.yaml)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/ruff format --check .

test: install browser-deps deploy-deps lint
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS)

# devpi-client 7.3's own suite (150 tests that talk to a server) against a fresh server on a
# free port; fails unless all 150 pass. About 5 minutes; its venvs go under /tmp/dcsuite.
test-devpi-client: install
	.ci/test-devpi-client

# schemathesis over the whole OpenAPI document (/+openapi.json) of a live
# server, anonymously and as a user (tests/test_api_fuzz.py): no server error,
# status codes and media types as documented. Fixed seed, a few minutes.
test-api-fuzz: install
	$(VENV)/bin/pytest -n 0 -m api_fuzz tests/test_api_fuzz.py

test-postgres: install deploy-deps
	DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not slow_client and not cluster and not api_fuzz"

# the whole installation on loopback (tests/cluster.py): PostgreSQL (a database
# of its own on POSTGRES_URL's server), moto's S3 server, Redis, two gunicorn
# app servers, a Celery worker and beat, nginx; both file-serving modes
test-cluster: install deploy-deps
	DEVPI_CLUSTER_POSTGRES_URL=$(POSTGRES_URL) $(VENV)/bin/pytest -n 0 -m cluster tests/test_cluster.py

# devpi-django and devpi-server side by side (bench/README.md); up to 15 minutes.
# BENCH_ARGS=--update-readme writes the results table into bench/README.md.
bench: install
	$(PY) -m bench --scale $(BENCH_ARGS)

# the benchmark's code paths on tiny data, devpi-django only (also part of `make test`)
bench-smoke: install
	$(PY) -m bench --smoke --scale --out build/bench-smoke

clean:
	rm -rf $(VENV) build .pytest_cache
