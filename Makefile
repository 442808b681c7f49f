# Two commands from a bare clone: `make demo` (set-up + main job) and `make test`.
# Set-up is idempotent: it reruns only when pyproject.toml changes.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup demo test bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# CPU torch from the local wheel first; an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: setup
	$(BIN)/hf-distscale demo

# The venv's bin goes first on PATH so tests can call the `hf-distscale` and `accelerate` commands.
test: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -n 2 tests

bench: setup
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done
