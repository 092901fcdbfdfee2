# The two commands a newcomer runs: `make run` and `make test`. Each bootstraps
# its own virtualenv from pyproject.toml; nothing is installed by hand.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CONFIG ?= config

.PHONY: run serve web test check lint format typecheck unit unit-compiled integration bench corpus clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The same package with the matching engine compiled by mypyc (setup.py), installed
# (not editable) in a venv of its own: what the Docker image runs and the benchmark
# measures. Rebuilt when a source changes; needs a C compiler and the Python headers.
COMPILED ?= .venv-compiled
CBIN     := $(COMPILED)/bin
CSTAMP   := $(COMPILED)/.installed-stamp
SOURCES  := $(shell find monitor workers -type f ! -path '*/__pycache__/*') pyproject.toml setup.py
$(CSTAMP): $(SOURCES)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(COMPILED)
	$(CBIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	@# mypyc type-checks what the engine imports: the dependencies (and mypy, a dev
	@# one) go in first, then the package is rebuilt compiled over the pure one.
	$(CBIN)/python -m pip install --quiet '.[dev]'
	rm -rf build
	MONITOR_MYPYC=1 $(CBIN)/python -m pip install --quiet --no-build-isolation --no-deps --force-reinstall .
	rm -rf build
	@touch $(CSTAMP)

# One pass over the example config with a fresh demo state, so the seed alert shows
# every time. `make serve` keeps polling until Ctrl-C.
run: $(STAMP)
	@rm -rf .monitor/demo
	MONITOR_STATE_DIR=.monitor/demo $(BIN)/monitor run --once --config $(CONFIG)

serve: $(STAMP)
	$(BIN)/monitor run --config $(CONFIG)

# The web console (docs/web.md) over the demo history `make run` writes.
web: $(STAMP)
	MONITOR_STATE_DIR=.monitor/demo $(BIN)/monitor web --config $(CONFIG)

test: check unit unit-compiled integration

check: lint typecheck

LINTED := monitor workers tests setup.py $(wildcard bench)
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

# What lint checks, fixed in place.
format: $(STAMP)
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

typecheck: $(STAMP)
	$(BIN)/mypy

# With line coverage of monitor/ and workers/ (the files not fully covered, then the total).
unit: $(STAMP)
	$(BIN)/pytest -q --cov=monitor --cov=workers --cov-report=term:skip-covered tests/unit

# The unit tests again, on the compiled build: pytest's own script (no current
# directory on sys.path) and --import-mode=append, so that the installed, compiled
# monitor is imported, not the sources; test_compiled_build checks that it is.
unit-compiled: $(CSTAMP)
	MONITOR_EXPECT_COMPILED=1 $(CBIN)/pytest -q -p no:cacheprovider --import-mode=append tests/unit

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

# On the compiled build, as deployed; `make bench BENCH_BIN=.venv/bin` measures the
# pure-Python one (each run prints which build it measured).
BENCH_BIN ?= $(CBIN)
bench: $(STAMP) $(CSTAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BENCH_BIN)/python $$b || exit 1; done

# Parse every file of a folder of real feeds (default: the shared corpus) and report failures.
CORPUS ?= ../shared/corpus
corpus: $(STAMP)
	$(BIN)/monitor match --all --config $(CONFIG) $$(find $(CORPUS) -type f ! -name '*.md' ! -name '*.tsv') > /dev/null

clean:
	rm -rf $(VENV) $(COMPILED) build .monitor .mypy_cache .ruff_cache .pytest_cache
