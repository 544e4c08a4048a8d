# OrbitDesk: every target sets up .venv itself, so a fresh clone needs only `make run` / `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-any-date bench lint format venv clean image-test

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

# The whole suite under libfaketime, to prove no test depends on today's date. The default is
# a nasty start: minutes before New York springs forward (EST -> EDT) on a Sunday; the clock
# runs on from there. FAKETIME_DONT_FAKE_MONOTONIC stays unset: with it, Python 3.11's
# time.sleep fails with EINVAL.
TEST_DATE ?= 2027-03-14 06:55:00 UTC
test-any-date: $(STAMP)
	@command -v faketime >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "faketime is missing: installing it with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime; \
	  else \
	    echo "make test-any-date needs the faketime command (libfaketime). Install it:" >&2; \
	    echo "  Debian/Ubuntu: sudo apt-get install faketime" >&2; \
	    echo "  Fedora: sudo dnf install libfaketime    macOS: brew install libfaketime" >&2; \
	    exit 1; \
	  fi; }
	env -u FAKETIME_DONT_FAKE_MONOTONIC faketime '$(TEST_DATE)' $(BIN)/python -m pytest -q

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
