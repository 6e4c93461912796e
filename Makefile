# The README's two commands: `make run` and `make test`. Everything else is a helper.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements

.PHONY: run test setup venv lint messages clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

venv: $(STAMP)

# Migrate, load the working-day calendar and the demo district (all idempotent).
setup: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_calendar
	$(BIN)/python manage.py seed_demo

# Web server, Celery worker and beat in one process group; Ctrl-C stops all three.
run: setup
	$(BIN)/honcho start -f Procfile

test: $(STAMP)
	mkdir -p var
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-extract and compile the translation catalogues (needs GNU gettext).
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-location --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var test-artifacts
