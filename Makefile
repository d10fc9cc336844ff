# Two commands matter: `make demo` and `make test`. Both set up .venv first (Python >= 3.11).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup system-deps compose-check demo chat test lint typecheck unit eval bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/triage serve

chat: setup
	$(BIN)/triage chat

lint: setup
	$(BIN)/ruff check bot actions tests scripts
	$(BIN)/ruff format --check bot actions tests scripts

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

system-deps:
	bash scripts/system-deps.sh

compose-check: system-deps
	docker-compose -f docker-compose.yml config --quiet

test: system-deps lint typecheck compose-check unit

eval: setup
	$(BIN)/triage eval tests/eval/*.yml

bench: setup
	$(BIN)/python scripts/bench_engine.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
