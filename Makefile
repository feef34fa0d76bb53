# The course's commands. Run `make help` for the list.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# pytest-xdist workers for the test suite (notebooks run in parallel, one lesson per worker)
WORKERS ?= 2

.PHONY: help setup data chromium test test-fast test-browser lab instructor release check lint clean sandbox benchmark-grading bench

help:
	@echo "make setup    create $(VENV), install the course and its dependencies, register the kernel,"
	@echo "              enable nbgrader in JupyterLab, make Fashion-MNIST available"
	@echo "make test     run the whole test suite (course package, lesson pipeline, autograder self-test)"
	@echo "make test-browser  only the browser suite: every lesson in JupyterLab in headless Chromium"
	@echo "make lab      open JupyterLab on lessons/ (the student path)"
	@echo "make instructor  JupyterLab with nbgrader's formgrader on the graded course: every lesson, every"
	@echo "              submission and score course-grade recorded (COURSE_DIR=path: another course folder)"
	@echo "make release  regenerate lessons/ from solutions/ (the instructor path)"
	@echo "make check    the lint, then the fast tests only (no notebook is executed)"
	@echo "make lint     ruff on the .py files and the solution notebooks ([tool.ruff] in pyproject.toml)"
	@echo "make sandbox  install bubblewrap (the grading sandbox) and show what it enforces here"
	@echo "make benchmark-grading  submissions/minute: course-grade autograde (1, 2 workers) vs nbgrader"
	@echo "make bench    every model in NumPy against Keras, interleaved epoch by epoch: build/bench/"
	@echo "              (QUICK=1: a few batches per model; BENCH_THREADS=n: NumPy's BLAS threads, default 1)"

setup:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	# the course and the maintainer's test tools (pytest, pytest-xdist, playwright, ruff: the `test` extra)
	$(BIN)/python -m pip install -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (dl-course)"
	$(BIN)/python -m ipykernel install --user --name dl-course --display-name "Python 3 (dl-course)"
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader
	$(BIN)/jupyter labextension enable --level=sys_prefix @jupyter/nbgrader
	$(BIN)/jupyter labextension enable --level=sys_prefix @jupyter-widgets/jupyterlab-manager
	# Widget callbacks on the kernel's main thread: on a comm subshell (JupyterLab's default) a callback
	# can draw with matplotlib while a cell draws too, and matplotlib is not thread-safe.
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyterlab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(MAKE) data
	$(MAKE) chromium
	$(MAKE) sandbox

# Fashion-MNIST: Debian ships it; elsewhere course.data downloads and verifies it on first use.
data:
	@if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y dataset-fashion-mnist || \
	    (apt-get update && apt-get install -y dataset-fashion-mnist); \
	  else echo "Tip: sudo apt-get install dataset-fashion-mnist (otherwise it is downloaded on first use)"; fi; \
	fi
	# Lesson 10's text corpus: Jane Austen's novels (Debian's r-cran-janeaustenr; only its data files are read)
	@if [ ! -d /usr/lib/R/site-library/janeaustenr/data ] && command -v apt-get >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends r-cran-janeaustenr || \
	    (apt-get update && apt-get install -y --no-install-recommends r-cran-janeaustenr); \
	  else echo "Tip: sudo apt-get install --no-install-recommends r-cran-janeaustenr (lesson 10's text)"; fi; \
	fi
	$(BIN)/python -m course.data

# The browser suite's Chromium (Debian's package; Playwright's own browser download is not used).
chromium:
	@if [ ! -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" ] && command -v apt-get >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y chromium || (apt-get update && apt-get install -y chromium); \
	  else echo "Tip: sudo apt-get install chromium (the browser tests of \`make test\` need it)"; fi; \
	fi

test:
	COURSE_NO_SKIPS=1 $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup --no-loadscope-reorder

check: lint
	$(BIN)/python -m pytest -m "not notebooks and not browser"

lint:
	@$(BIN)/python -c "import ruff" 2>/dev/null || { echo "ruff is not installed in $(VENV): run \`make setup\`" >&2; exit 1; }
	$(BIN)/python -m ruff check .

# Needs Debian's Chromium (apt-get install chromium); screenshots go to build/screenshots/.
test-browser:
	$(BIN)/python -m pytest -m browser tests/browser

lab:
	$(BIN)/jupyter lab --notebook-dir=lessons

# The formgrader reads the root nbgrader_config.py, which points it at course-grade's course folder
# ($$COURSE_GRADE_DIR or the project root); the command itself is autograder/instructor.py's.
instructor:
	$(BIN)/python -m autograder.instructor $(if $(COURSE_DIR),--course-dir "$(COURSE_DIR)")

release:
	$(BIN)/course-grade release

# The grading sandbox runs student kernels under bubblewrap (Debian package `bubblewrap`).
sandbox:
	@if ! command -v bwrap >/dev/null && command -v apt-get >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y bubblewrap || (apt-get update && apt-get install -y bubblewrap); \
	  else echo "Tip: sudo apt-get install bubblewrap (without it, grading cannot isolate student code)"; fi; \
	fi
	$(BIN)/course-grade sandbox

benchmark-grading:
	$(BIN)/python benchmarks/grading_throughput.py

clean:
	rm -rf build .pytest_cache

# NumPy against Keras for every model of the course; the table goes to build/bench/ (see benchmarks/bench.py).
bench:
	$(BIN)/python benchmarks/bench.py $(if $(QUICK),--quick) --threads $(or $(BENCH_THREADS),1) \
		$(if $(BENCH_WORKERS),--workers $(BENCH_WORKERS)) \
		$(if $(BENCH_KERAS),--keras $(BENCH_KERAS)) $(if $(BENCH_BLAS),--blas-coretype $(BENCH_BLAS))
