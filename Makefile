# The README's two commands: `make run` and `make test`. Everything else is a helper.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
DEV_STAMP := $(VENV)/.installed-requirements-dev

.PHONY: run test setup venv dev-venv lint messages clean

# What production runs (requirements.txt) ...
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

# ... and the tests and tools on top (requirements-dev.txt).
$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(STAMP)
dev-venv: $(DEV_STAMP)

# The site as its users see it (liaison/settings/, LIAISON_LOCAL_RUN): DEBUG off, so
# the real error pages; a secret key made once in var/secret-key (mode 600); plain HTTP
# on localhost; static files served where they are. `DEBUG=1 make run` for Django's
# debug pages instead.
setup run: export LIAISON_LOCAL_RUN = 1

# Migrate, load the working-day calendar and the demo district (all idempotent).
setup: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_calendar
	$(BIN)/python manage.py seed_demo

# Web server, Celery worker and beat in one process group; Ctrl-C stops all three.
run: setup
	$(BIN)/honcho start -f Procfile

# Two pytest-xdist workers (a 2-core machine's worth); each has its own test database
# and Redis database (tests/conftest.py). TEST_WORKERS=0 runs in one process. Tests go
# to whichever worker is free (--dist load): pytest-xdist 3.8's loadgroup does not group
# under pytest 9.2 (it renames node ids through an attribute pytest no longer reads).
TEST_WORKERS ?= 2
test: $(DEV_STAMP)
	mkdir -p var
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# ruff, and the apps' layers (.importlinter: no app imports one above it).
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Re-extract and compile the translation catalogues (needs GNU gettext).
messages: $(DEV_STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-location --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var test-artifacts
