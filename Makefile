# The two commands of the README, and lint. Everything runs from the project's own virtual environment.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two xdist processes: every test process has its own database and Redis database (advocacy/settings/test.py).
PYTEST_ARGS ?= -n 2
TENANCY_SQLITE := $(CURDIR)/var/test-tenancy.sqlite3

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint messages messages-required

run: $(VENV)/.installed messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py seed_demo_content
	$(BIN)/python manage.py seed_demo_history
	bin/run-embedded

test: $(VENV)/.installed-dev messages-required
	bin/start-test-services
	$(BIN)/pytest $(PYTEST_ARGS)
	@# The same fail-closed checks on SQLite. Exit code 5 means no test carried the marker: that is a failure.
	DATABASE_URL=sqlite:///$(TENANCY_SQLITE) $(BIN)/pytest -m tenancy -p no:xdist; \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "No test is marked tenancy: the SQLite run proved nothing." >&2; fi; \
	exit $$status

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy advocacy content ambassadors charter analytics

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: pip runs again only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# French catalogues need msgfmt (Debian: gettext). Without it `make run` still starts, in English.
messages:
	@if command -v msgfmt >/dev/null; then \
		$(BIN)/python manage.py compilemessages --ignore=$(VENV) --ignore=var -v 0; \
	else \
		echo "msgfmt not found: pages will not be translated. Install it with: sudo apt-get install gettext" >&2; \
	fi

messages-required:
	@command -v msgfmt >/dev/null || { echo "make test needs msgfmt: sudo apt-get install gettext" >&2; exit 1; }
	$(BIN)/python manage.py compilemessages --ignore=$(VENV) --ignore=var -v 0
