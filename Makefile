# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8080

.PHONY: demo test lint install install-test chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# The browser tests (tests/browser) drive Debian's Chromium with Playwright; Playwright's own
# browser download is never used. Nothing to do when it is there already.
CHROMIUM ?= /usr/bin/chromium

chromium: $(CHROMIUM)

$(CHROMIUM):
	@if ! command -v apt-get >/dev/null; then \
		echo "no apt-get: install Chromium at $(CHROMIUM) yourself (browser tests skip, or fail in CI)"; \
		exit 0; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else \
		echo "not root and no sudo: run 'apt-get install chromium' as root (browser tests skip, or fail in CI)"; \
		exit 0; \
	fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get install -y -q chromium || { $$sudo apt-get update -q && $$sudo apt-get install -y -q chromium; }

demo: install
	$(BIN)/artguard demo --port $(PORT)

LINT_PATHS := $(wildcard src tests bench tools)

lint: install-test
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

test: install-test chromium lint
	$(BIN)/python -m pytest -q -ra $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
