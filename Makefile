# Sanshen: `make run` serves the app with demo data, `make test` runs the whole suite (CONTRACT §1).
# Both create .venv and install what they need on a fresh machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test bench lint typecheck messages clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Sanshen needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/sanshen init
	$(BIN)/sanshen demo
	$(BIN)/sanshen serve --host 127.0.0.1 --port 8000

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

test: $(VENV)/.installed-test
	bash tests/setup/ensure-postgres.sh
	bash tests/setup/ensure-debian-packages.sh fonts-noto-cjk chromium postgresql-client
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $@ $(VENV)/.installed-test $(VENV)/.installed

bench: $(VENV)/.installed-bench
	bash tests/setup/ensure-postgres.sh
	$(BIN)/python -m bench

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# After changing a page's text: re-extract the message ids into the zh_CN catalogue, then fill in
# every new msgstr (tests/web/test_i18n.py fails while one is missing).
messages: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header -o $(VENV)/messages.pot .
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d web/translations -l zh_CN --no-location --omit-header --ignore-obsolete --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
