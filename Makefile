# The two commands a newcomer runs: `make run` and `make test`. Each bootstraps
# its own virtualenv from pyproject.toml; nothing is installed by hand.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CONFIG ?= config

.PHONY: run serve test check lint typecheck unit integration bench corpus clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# One pass over the example config with a fresh demo state, so the seed alert shows
# every time. `make serve` keeps polling until Ctrl-C.
run: $(STAMP)
	@rm -rf .monitor/demo
	MONITOR_STATE_DIR=.monitor/demo $(BIN)/monitor run --once --config $(CONFIG)

serve: $(STAMP)
	$(BIN)/monitor run --config $(CONFIG)

test: check unit integration

check: lint typecheck

LINTED := monitor workers tests $(wildcard bench)
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Parse every file of a folder of real feeds (default: the shared corpus) and report failures.
CORPUS ?= ../shared/corpus
corpus: $(STAMP)
	$(BIN)/monitor match --all --config $(CONFIG) $$(find $(CORPUS) -type f ! -name '*.md' ! -name '*.tsv') > /dev/null

clean:
	rm -rf $(VENV) .monitor .mypy_cache .ruff_cache .pytest_cache
