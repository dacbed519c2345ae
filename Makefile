# Every target installs what it needs into .venv: nothing relies on a hand-installed tool.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[emulator,test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python scripts/demo.py examples/

test: install
	$(BIN)/python -m pytest -n 2 -q

bench: install
	$(BIN)/python bench/run.py

schema: install
	$(BIN)/obsctl schema --output schemas/obsctl.schema.json

clean:
	rm -rf $(VENV) build *.egg-info
