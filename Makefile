# The course's commands. Run `make help` for the list.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# pytest-xdist workers for the test suite (notebooks run in parallel, one lesson per worker)
WORKERS ?= 2

.PHONY: help setup data test test-fast lab release check clean

help:
	@echo "make setup    create $(VENV), install the course and its dependencies, register the kernel,"
	@echo "              enable nbgrader in JupyterLab, make Fashion-MNIST available"
	@echo "make test     run the whole test suite (course package, lesson pipeline, autograder self-test)"
	@echo "make lab      open JupyterLab on lessons/ (the student path)"
	@echo "make release  regenerate lessons/ from solutions/ (the instructor path)"
	@echo "make check    fast notebook hygiene checks only (no notebook is executed)"

setup:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (dl-course)"
	$(BIN)/python -m ipykernel install --user --name dl-course --display-name "Python 3 (dl-course)"
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader
	$(BIN)/jupyter labextension enable --level=sys_prefix @jupyter/nbgrader
	$(BIN)/jupyter labextension enable --level=sys_prefix @jupyter-widgets/jupyterlab-manager
	$(MAKE) data

# Fashion-MNIST: Debian ships it; elsewhere course.data downloads and verifies it on first use.
data:
	@if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y dataset-fashion-mnist || \
	    (apt-get update && apt-get install -y dataset-fashion-mnist); \
	  else echo "Tip: sudo apt-get install dataset-fashion-mnist (otherwise it is downloaded on first use)"; fi; \
	fi
	$(BIN)/python -m course.data

test:
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

check:
	$(BIN)/python -m pytest -m "not notebooks"

lab:
	$(BIN)/jupyter lab --notebook-dir=lessons

release:
	$(BIN)/course-grade release

clean:
	rm -rf build .pytest_cache
