# Two commands for a fresh machine: `make book` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: book pdf test test-fast sweep-smoke clean

# The virtual environment, rebuilt when the package's requirements change. The base install is
# what the book needs: it reads the committed records and never imports PyTorch.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e .
	touch $@

# Training and its tests: PyTorch, papermill (the `train` extra) and pytest.
$(VENV)/.installed-train: $(VENV)/.installed
	$(BIN)/python -m pip install -e '.[train,test]'
	touch $@

# The tests' extras on top: Ray (tests/test_backends.py starts a Ray cluster on 127.0.0.1) and
# Playwright (tests/test_site.py reads the built site in Debian's /usr/bin/chromium).
$(VENV)/.installed-test: $(VENV)/.installed-train
	$(BIN)/python -m pip install -e '.[train,test,ray,site]'
	touch $@

# Build the website from the results committed in this repository (no PyTorch needed).
book: $(VENV)/.installed
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book: file://$(CURDIR)/_build/html/index.html"

# The PDF edition: the introduction, the chapters, the appendix pages and the bibliography, without
# the executed run notebooks (_ext/pdf_toc.py writes that table of contents from _toc.yml), through
# Sphinx's LaTeX and xelatex. Needs Debian's texlive-xetex texlive-latex-extra
# texlive-latex-recommended texlive-fonts-recommended latexmk fonts-freefont-otf (`apt-get install
# -y --no-install-recommends ...`). Built in its own folder, PDF_BUILD, where a rebuild executes
# again only the chapters whose inputs changed; the PDF is copied to PDF_OUT.
PDF_BUILD ?= _build/pdf
PDF_OUT   ?= _build/bnorder.pdf
pdf: $(VENV)/.installed
	$(BIN)/python _ext/pdf_toc.py _toc.yml $(PDF_BUILD)/_toc.yml
	$(BIN)/jupyter-book build . --builder pdflatex --toc $(PDF_BUILD)/_toc.yml --path-output $(PDF_BUILD) -W -n --keep-going
	cp $(PDF_BUILD)/_build/latex/bnorder.pdf $(PDF_OUT)
	@echo "The PDF: $(abspath $(PDF_OUT))"

# The whole test suite, the notebook, sweep, Ray, book-build and browser tests included, its files
# spread over the machine's cores (TEST_WORKERS; a file's tests stay together and in order, since
# some share a built book). It prints the 20 slowest tests.
# (The browser test is skipped without /usr/bin/chromium: apt-get install -y chromium.)
TEST_WORKERS ?= auto
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# Only the quick tests (no notebook executions, no book build, no Ray cluster, no browser).
test-fast: $(VENV)/.installed-train
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf _build
