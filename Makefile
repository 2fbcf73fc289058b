# Two entry points for a fresh machine: `make demo` and `make test`.
# Each installs everything it needs (system packages, a virtualenv, the project) first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install services lint bench clean

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/liasse demo

services: install
	bash scripts/start-services.sh

test: install services
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: install services
	$(BIN)/python -m bench

clean:
	rm -rf var .pytest_cache
