# make run   - create .venv if missing, install, run Operation At Large, write its report
# make test  - create .venv if missing, install with test extras, run the test suite
# make serve - the explorer page and HTTP API on http://127.0.0.1:8000/
# make docs  - build the documentation site (mkdocs, strict; the gallery runs its questions) and serve it on http://127.0.0.1:8001/ (ATLARGE_DOCS_GALLERY=0: without the gallery runs)
# make bench - speed: pytest-benchmark timings, atlarge bench --quick and the speed targets (benchmarks/targets.py; not part of make test)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench profile serve docs clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/atlarge run scenarios/operation-at-large.toml --reps 200 --seed 1 --out out/operation-at-large
	@echo "Open out/operation-at-large/report.html in a browser."

test: $(STAMP)
	@sh scripts/install-chromium.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only -p no:cacheprovider
	$(BIN)/atlarge bench --quick --json out/bench-quick.json
	$(BIN)/python benchmarks/targets.py engine api scaling --json out/bench-targets.json

serve: $(STAMP)
	$(BIN)/atlarge serve

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8001

profile: $(STAMP)
	$(BIN)/python benchmarks/profile_engine.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf out .pytest_cache .ruff_cache .hypothesis
