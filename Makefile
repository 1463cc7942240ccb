# Two commands for a fresh machine: `make book` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: book test test-fast sweep-smoke clean

# The virtual environment, rebuilt when the package's requirements change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

# Build the website from the results committed in this repository.
book: $(VENV)/.installed
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book: file://$(CURDIR)/_build/html/index.html"

# The whole test suite, the notebook, sweep and book-build tests included.
test: $(VENV)/.installed
	$(BIN)/python -m pytest

# Only the quick tests (no notebook executions, no book build).
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf _build
