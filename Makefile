# The two commands of this repository; each works alone on a fresh clone.
#   make book   build the HTML book into _build/html (every notebook executed)
#   make test   run the unit tests and nbval over every notebook, in one pytest run
# Both create the virtual environment .venv from requirements.txt when it is missing or stale.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test env clean

env: $(STAMP)

$(STAMP): requirements.txt requirements-corpus.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-corpus.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# -W: warnings are errors; -n: nitpicky references; --keep-going: report every warning, then fail.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf _build .jupyter_cache
