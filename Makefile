# `make run` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format locales clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "knowpay needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	# compat mode puts the source tree on the path, so new modules need no reinstall
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--config-settings editable_mode=compat -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/knowpay run

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the message catalogues after changing user-facing text.
locales: $(STAMP)
	$(BIN)/pybabel extract -k N_ -k _ -k gettext -k ngettext:1,2 --no-location --sort-output \
		--no-wrap --project knowpay -o bot/locales/knowpay.pot bot cogs payments
	$(BIN)/pybabel update -D knowpay -i bot/locales/knowpay.pot -d bot/locales --no-fuzzy-matching --ignore-obsolete --no-wrap

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
