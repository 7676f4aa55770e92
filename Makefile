# Set-up on a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint format docs bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "osint needs Python 3.11 or newer")'
	@pkg-config --exists icu-uc 2>/dev/null || echo "note: ICU headers not found; if installing PyICU fails, install libicu-dev and pkg-config (see README)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[all]'
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[all,test]'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/osint demo demo
	@echo "osint is in $(BIN): run $(BIN)/osint, or first 'source $(BIN)/activate' (or add $(CURDIR)/$(BIN) to PATH) and then run osint"

test: $(VENV)/.installed-test
	$(BIN)/ruff check osint tests bench
	$(BIN)/ruff format --check osint tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check osint tests bench

format: $(VENV)/.installed-test
	$(BIN)/ruff format osint tests bench
	$(BIN)/ruff check --fix osint tests bench

docs: $(VENV)/.installed
	$(BIN)/python -m osint.cli.docs > docs/cli.md

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py $(if $(FULL),--full)

clean:
	rm -rf $(VENV) build dist demo .pytest_cache .ruff_cache
