# The two commands: `make run` (set up, then watch inbox/ -> outbox/) and `make test`.
# Each creates .venv when missing. Nothing here needs apt or an ffmpeg binary.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch for the reference engine: the CPU build. Elsewhere, point pip at a CPU wheel
# index or folder with e.g. TORCH_PIP_ARGS="--find-links /path/to/wheels".
TORCH_PIP_ARGS ?=

.PHONY: run test setup setup-test clean-models

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.setup-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.setup-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/pip install --quiet -e ".[reference,test]"
	touch $@ $(VENV)/.setup-run

setup: $(VENV)/.setup-run
	$(BIN)/dictation models

setup-test: $(VENV)/.setup-test

run: setup
	$(BIN)/dictation watch

test: setup-test
	$(BIN)/python -m pytest

clean-models:
	rm -rf models/cache
