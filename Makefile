# ganlab: two commands on a fresh machine.
#   make lab    set up .venv (first time only) and open JupyterLab on notebooks/
#   make test   unit tests + every notebook in quick mode (GANLAB_QUICK=1), after make data
# Other targets: make data (pre-fetch datasets), make notebooks (re-run in full mode),
# make verify (every notebook in full cpu mode, into copies: do its claims hold?),
# make test-browser (JupyterLab in headless Chromium), make lint, make bench, make clean;
# for workshops: make doctor (pre-flight check),
# make wheelhouse [WHEELS=dir] (offline install: then make lab WHEELS=dir),
# make colab REPO=owner/name [BRANCH=main] (point badges and install cells at a fork).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ganlab-installed
# WHEELS=dir: install from a wheelhouse (make wheelhouse), without the network.
PIP_FROM = $(if $(WHEELS),--no-index --find-links $(WHEELS))
BRANCH ?= main

.PHONY: lab test verify test-browser lint data notebooks bench clean doctor wheelhouse colab

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo; echo "ganlab: '$(PYTHON) -m venv' failed. On Debian/Ubuntu install it with:"; \
	  echo "    sudo apt install python3-venv"; \
	  echo "then run make again (or use conda: conda env create -f environment.yml)."; exit 1; }
	$(BIN)/python -m pip install $(PIP_FROM) --upgrade pip
	$(BIN)/python -m pip install $(PIP_FROM) -e '.[dev]'
	$(BIN)/python -m ipykernel install --user --name ganlab --display-name "Python (ganlab)"
	@touch $@

# Containers often run as root, which JupyterLab refuses unless told.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# The data the tests need (MNIST, for the judges) is made first, so that on a fresh clone every
# test runs; under CI (CI=true) a skipped test fails, unless it needs a GPU (tests/conftest.py).
MNIST := $(or $(GANLAB_DATA),data)/MNIST/raw/t10k-labels-idx1-ubyte

test: $(STAMP) lint $(MNIST)
	GANLAB_QUICK=1 $(BIN)/python -m pytest -q $(PYTEST_ARGS)

$(MNIST): | $(STAMP)
	$(BIN)/python tools/fetch_data.py

# JupyterLab (GANLAB_QUICK=1) in headless Chromium: every notebook's outputs render, and
# notebook 06's playground trains when its button is pressed. Needs Debian's chromium
# (apt install chromium) or GANLAB_CHROMIUM=/path/to/chromium; screenshots in build/browser/.
test-browser: $(STAMP)
	@$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install playwright
	$(BIN)/python tools/browser_test.py $(BROWSER_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check ganlab tests tools notebooks benchmarks conftest.py

data: $(STAMP)
	$(BIN)/python tools/fetch_data.py

notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py notebooks/[0-9][0-9]_*.ipynb notebooks/solutions/*.ipynb

# Every notebook in full cpu mode, into temporary copies (the committed files are never
# written): every assert is a claim of the text, so this checks that each claim holds here.
# SEED=1 runs them with another seed (GANLAB_SEED): how far do the headline numbers move?
VERIFY_JOBS ?= 2
verify: $(STAMP)
	$(if $(SEED),GANLAB_SEED=$(SEED)) $(BIN)/python tools/run_notebooks.py --verify -j $(VERIFY_JOBS) notebooks/[0-9][0-9]_*.ipynb

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# Run by path, not with -m: the table still prints when `import ganlab` itself fails.
doctor: $(STAMP)
	$(BIN)/python tools/doctor.py

# Every wheel the course needs on this platform (same OS, CPU and Python as the laptops).
wheelhouse: $(STAMP)
	$(BIN)/python -m pip wheel --wheel-dir $(or $(WHEELS),wheelhouse) $(WHEEL_ARGS) \
	  pip 'setuptools>=64' wheel '.[dev]'
	@echo "wheelhouse ready: copy $(or $(WHEELS),wheelhouse)/ and data/ to the laptops, then run"
	@echo "    make lab WHEELS=$(or $(WHEELS),wheelhouse)"

colab:
	@test -n "$(REPO)" || { echo "say which repository: make colab REPO=owner/name [BRANCH=main]"; exit 2; }
	$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) tools/colab.py --repo $(REPO) --branch $(BRANCH)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
