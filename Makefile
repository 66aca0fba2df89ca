# Hanoi creative-city knowledge base. `make help` lists the targets.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
DB ?= data/kb.db
PORT ?= 8001
SITES_PORT ?= 8101

.DEFAULT_GOAL := help
.PHONY: help install demo test test-all lint format run serve eval bench browser office clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

# pip's own output goes to $(INSTALL_LOG); the terminal gets one line per step with its time,
# and the end of the log when a step fails.
INSTALL_LOG := $(VENV)/install.log

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PY) >/dev/null || { echo "need $(PY) (Python 3.11)"; exit 1; }
	@set -e; t0=$$(date +%s); mkdir -p $(VENV); : > $(INSTALL_LOG); \
	step() { s=$$(date +%s); printf 'install: %s ... ' "$$1"; shift; \
	  if "$$@" >>$(INSTALL_LOG) 2>&1; then echo "done ($$(( $$(date +%s) - s )) s)"; \
	  else echo "FAILED; the end of $(INSTALL_LOG):"; tail -n 30 $(INSTALL_LOG); exit 1; fi; }; \
	echo "install: $(VENV) with the $$(grep -c '==' constraints.txt) pinned packages of constraints.txt" \
	  "(1-3 minutes with a warm pip cache, longer from scratch; pip's log: $(INSTALL_LOG))"; \
	test -x $(BIN)/python || step "creating the virtualenv with $(PY)" $(PY) -m venv $(VENV); \
	step "upgrading pip" $(BIN)/python -m pip install -q --upgrade pip; \
	step "installing the package and its dependencies (the long step)" \
	  $(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'; \
	rm -f $(VENV)/.installed-*; touch $(STAMP); \
	echo "install: finished in $$(( $$(date +%s) - t0 )) s; try 'make demo'"

install: $(STAMP) ## create .venv and install the pinned dependencies

demo: $(STAMP) ## crawl the bundled sample sites (ports SITES_PORT.., 0 = free) with the nightly flow, then serve Datasette on PORT
	$(BIN)/ingest demo --db $(DB) --port $(PORT) --sites-port $(SITES_PORT)

test: $(STAMP) browser office ## run the test suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

test-all: $(STAMP) browser office ## the test suite plus the slow tests (kill loops, Dask)
	$(BIN)/python -m pytest -q -m "slow or not slow"

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## apply ruff formatting
	$(BIN)/ruff format .

run: $(STAMP) ## one nightly run against the real sites in sources.yaml
	$(BIN)/ingest run --db $(DB)

serve: $(STAMP) ## serve an existing database with Datasette
	$(BIN)/ingest serve --db $(DB) --port $(PORT)

eval: $(STAMP) ## extraction and tagging evaluations (side by side with bare trafilatura)
	$(BIN)/ingest eval-extract --check-floors
	$(BIN)/ingest eval-tags

bench: $(STAMP) ## benchmarks: each figure with its peer and target (BENCH_QUICK=1: each under a minute)
	@mkdir -p test-artifacts/bench; \
	for b in benchmarks/bench_*.py; do \
	  log=test-artifacts/bench/$$(basename $$b .py).log; echo "== $$b"; \
	  $(BIN)/python $$b > $$log 2>&1; rc=$$?; grep -v "| INFO \|^$$" $$log; \
	  [ $$rc -eq 0 ] || { echo "$$b failed (exit $$rc): $$log"; exit $$rc; }; \
	done; \
	echo "== targets (logs in test-artifacts/bench/)"; \
	grep -h -i "target" test-artifacts/bench/*.log | grep -v "^ *#"

browser: ## install Debian's chromium for the browser tests (no-op when present)
	@bash scripts/install-browser.sh || echo "warning: chromium not installed; browser tests will be skipped (set REQUIRE_BROWSER=1 to fail instead)"

office: ## install Debian's LibreOffice Writer and poppler for the DOCX-as-PDF checks (no-op when present)
	@bash scripts/install-office.sh || echo "warning: LibreOffice not installed; the DOCX-as-PDF checks will be skipped"

clean: ## remove the virtualenv and generated data
	rm -rf $(VENV) data/*.db* data/raw data/demo-sources.yaml test-artifacts
