# devpi-django: `make serve` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DEVPI_DATA_DIR ?= $(CURDIR)/var
PYTEST_WORKERS ?= auto
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/devpi_django

.PHONY: install serve init test test-postgres test-fast clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

init: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py devpi_init
	$(PY) manage.py collectstatic --noinput -v0

serve: init
	$(VENV)/bin/gunicorn -c devpi_django/gunicorn_conf.py devpi_django.wsgi

test: install
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS)

test-postgres: install
	DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not slow_client"

clean:
	rm -rf $(VENV) build .pytest_cache
