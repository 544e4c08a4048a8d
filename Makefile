# OrbitDesk: every target sets up .venv itself, so a fresh clone needs only `make run` / `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint format venv clean image-test

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "OrbitDesk needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/orbitdesk run --or-console

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# Build the Docker image and prove it runs (docker, or podman on a local Debian base).
image-test: $(STAMP)
	bash deploy/smoke-test.sh

lint: $(STAMP)
	$(BIN)/ruff check bot commands tests bench
	$(BIN)/ruff format --check bot commands tests bench
	$(BIN)/mypy bot commands

format: $(STAMP)
	$(BIN)/ruff format bot commands tests bench
	$(BIN)/ruff check --fix bot commands tests bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
