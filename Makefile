# Two entry points: `make run` (serve the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test venv db clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

db: venv
	$(BIN)/facilitator db upgrade

run: db
	$(BIN)/facilitator demo --host $(HOST) --port $(PORT)
	$(BIN)/facilitator serve --host $(HOST) --port $(PORT)

test: venv
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
