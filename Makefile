# ganlab: two commands on a fresh machine.
#   make lab    set up .venv (first time only) and open JupyterLab on notebooks/
#   make test   unit tests + every notebook in quick mode (GANLAB_QUICK=1)
# Other targets: make data (pre-fetch datasets), make notebooks (re-run in full mode),
# make test-browser (JupyterLab in headless Chromium), make lint, make bench, make clean.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ganlab-installed

.PHONY: lab test test-browser lint data notebooks bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo; echo "ganlab: '$(PYTHON) -m venv' failed. On Debian/Ubuntu install it with:"; \
	  echo "    sudo apt install python3-venv"; \
	  echo "then run make again (or use conda: conda env create -f environment.yml)."; exit 1; }
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	$(BIN)/python -m ipykernel install --user --name ganlab --display-name "Python (ganlab)"
	@touch $@

# Containers often run as root, which JupyterLab refuses unless told.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP) lint
	GANLAB_QUICK=1 $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# JupyterLab (GANLAB_QUICK=1) in headless Chromium: every notebook's outputs render, and
# notebook 06's playground trains when its button is pressed. Needs Debian's chromium
# (apt install chromium) or GANLAB_CHROMIUM=/path/to/chromium; screenshots in build/browser/.
test-browser: $(STAMP)
	@$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install playwright
	$(BIN)/python tools/browser_test.py $(BROWSER_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check ganlab tests tools notebooks benchmarks conftest.py

data: $(STAMP)
	$(BIN)/python -m ganlab.data.fetch

notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py notebooks/*.ipynb

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
