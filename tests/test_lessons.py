"""The autograder self-test, run for every lesson in solutions/ (new lessons are picked up by themselves).

For each lesson:
1. lessons/ is what nbgrader generates from solutions/ today;
2. the student notebook holds no solution code and no hidden test;
3. the solution notebook runs top to bottom offline (quick mode); then every control it displayed is
   moved to its extremes (sliders to max and min, dropdowns to their last option, buttons clicked) and
   no widget callback may raise;
4. nbgrader's real autograde gives the solution full points on every graded cell;
5. ... and the untouched student notebook zero on every graded cell;
6. the lesson has at least one ipywidgets control and at least one graded cell with points.

Tests of one lesson share one worker (xdist group), so each lesson is executed and graded once.
"""

from __future__ import annotations

import filecmp
import json
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.grading import autograde
from autograder.kernelclient import SlicedKernelManager
from autograder.lessons import LESSONS, SOLUTIONS, lesson_ids, lesson_path, solution_path
from autograder.release import generate

pytestmark = pytest.mark.notebooks

LESSON_IDS = lesson_ids()
PER_LESSON = [pytest.param(lesson, marks=pytest.mark.xdist_group(lesson)) for lesson in LESSON_IDS]
CELL_TIMEOUT = 900  # seconds; quick mode keeps every cell far below this
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SOLUTION_RE = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.S)
HIDDEN_RE = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)

# Run in the kernel after the notebook: move every control so that each widget callback runs again.
EXERCISE_WIDGETS = """
from ipywidgets.widgets import widget as _widget_module
_instances = getattr(_widget_module, "_instances", None) or _widget_module.Widget.widgets
_ip = get_ipython()
_shown, _failures, _moved = _ip.showtraceback, [], 0

def _record(exc_tuple=None, *args, **kwargs):  # an Output widget reports its callback's error here
    _failures.append(repr(exc_tuple[1]) if exc_tuple else "an error")
    return _shown(exc_tuple, *args, **kwargs)

_ip.showtraceback = _record
try:
    for _w in list(_instances.values()):
        _name = f"{type(_w).__name__} {getattr(_w, 'description', '')!r}"
        try:
            if hasattr(_w, "click") and hasattr(_w, "on_click"):
                _w.click()
            elif hasattr(_w, "options") and hasattr(_w, "index") and len(_w.options) > 1:
                _old = _w.index
                _w.index = len(_w.options) - 1
                _w.index = _old
            elif hasattr(_w, "max") and hasattr(_w, "min") and isinstance(getattr(_w, "value", None), (int, float)):
                _base = getattr(_w, "base", None)  # a log slider's min and max are exponents
                _old = _w.value
                _w.value = _base ** _w.max if _base else _w.max
                _w.value = _base ** _w.min if _base else _w.min
                _w.value = _old
            elif isinstance(getattr(_w, "value", None), bool):
                _w.value = not _w.value
                _w.value = not _w.value
            else:
                continue
        except Exception as _exc:  # a callback outside an Output widget raised through the setter
            _failures.append(f"{_name}: {_exc!r}")
        _moved += 1
finally:
    _ip.showtraceback = _shown
assert not _failures, f"widget callbacks raised when controls moved: {_failures}"
print(f"moved {_moved} controls, no callback raised")
"""

_cache: dict = {}


def cached(kind, lesson, make):
    """Compute an expensive per-lesson result once per worker."""
    key = (kind, lesson)
    if key not in _cache:
        _cache[key] = make()
    return _cache[key]


@pytest.fixture(scope="session")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("lessons")


def executed(lesson, scratch):
    """The solution notebook after running every cell, as a student would (quick mode)."""
    def run():
        nb = nbformat.read(solution_path(lesson), as_version=4)
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", store_widget_state=True,
                                kernel_manager_class=SlicedKernelManager,
                                resources={"metadata": {"path": str(SOLUTIONS / lesson)}})
        nb.cells.append(nbformat.v4.new_code_cell(EXERCISE_WIDGETS))
        try:
            client.execute()
        except CellExecutionError as exc:
            return exc
        nb.cells.pop()  # the exercise cell is the test's, not the lesson's
        nbformat.write(nb, scratch / f"{lesson}.executed.ipynb")
        return nb
    return cached("executed", lesson, run)


def grades(lesson, scratch):
    """nbgrader autograde's scores for the solution and for the untouched student notebook."""
    return cached("grades", lesson, lambda: autograde(
        lesson, {"solution": solution_path(lesson), "blank": lesson_path(lesson)},
        scratch / f"{lesson}-course"))


def source(cell):
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


# ---------------------------------------------------------------------------------------------
# Layout: every lesson has both versions
# ---------------------------------------------------------------------------------------------

def test_there_are_lessons():
    """Is there at least one lesson to test (so this suite can never pass vacuously)?"""
    assert LESSON_IDS, "no solutions/<id>/<id>.ipynb found"


def test_every_lesson_has_a_source_and_a_release():
    """Do solutions/ and lessons/ hold the same lesson folders?"""
    released = sorted(p.name for p in LESSONS.iterdir() if p.is_dir()) if LESSONS.is_dir() else []
    assert released == LESSON_IDS, "run `make release` to regenerate lessons/"


@pytest.mark.parametrize("folder", ["solutions", "lessons"])
def test_notebooks_are_committed_without_outputs(folder):
    """Are all notebooks free of outputs and execution counts?"""
    root = SOLUTIONS if folder == "solutions" else LESSONS
    dirty = []
    for path in sorted(root.rglob("*.ipynb")):
        nb = json.loads(path.read_text())
        if any(c.get("outputs") or c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"):
            dirty.append(str(path.relative_to(root.parent)))
    assert dirty == [], "clear outputs before committing (Edit > Clear Outputs of All Cells)"


# ---------------------------------------------------------------------------------------------
# The six properties, per lesson
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lesson", PER_LESSON)
def test_1_lesson_is_in_sync_with_its_solution(lesson, tmp_path):
    """Is lessons/<id>/ exactly what nbgrader generates from solutions/<id>/ now?"""
    generate([lesson], tmp_path)
    fresh, committed = tmp_path / lesson, LESSONS / lesson
    cmp = filecmp.dircmp(fresh, committed)
    _, mismatch, errors = filecmp.cmpfiles(fresh, committed, cmp.common_files, shallow=False)
    stale = sorted(mismatch + errors + cmp.left_only + cmp.right_only)
    assert stale == [], f"lessons/{lesson} is out of date in {stale}: run `make release`"


@pytest.mark.parametrize("lesson", PER_LESSON)
def test_2_student_notebook_holds_no_solution_or_hidden_test(lesson):
    """Does the student notebook contain no solution code, no hidden test and no marker?"""
    solution = nbformat.read(solution_path(lesson), as_version=4)
    student = "\n".join(source(c) for c in nbformat.read(lesson_path(lesson), as_version=4).cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in student, f"lessons/{lesson} contains '### {marker}'"
    secret, public = set(), set()
    for cell in solution.cells:
        text = source(cell)
        hidden = SOLUTION_RE.findall(text) + HIDDEN_RE.findall(text)
        secret.update(line.strip() for block in hidden for line in block.splitlines())
        public.update(line.strip() for line in HIDDEN_RE.sub("", SOLUTION_RE.sub("", text)).splitlines())
    # Lines that also appear in public parts (a shared `return P`, say) are not secrets.
    leaks = sorted(line for line in secret - public
                   if len(line) > 12 and not line.startswith("#") and line in student)
    assert leaks == [], f"solution or hidden-test lines visible in lessons/{lesson}"


@pytest.mark.parametrize("lesson", PER_LESSON)
def test_3_solution_runs_top_to_bottom(lesson, scratch):
    """Does the solution notebook execute offline in quick mode without any error, in cells or widgets?"""
    nb = executed(lesson, scratch)
    if isinstance(nb, CellExecutionError):
        pytest.fail(f"solutions/{lesson} failed to run:\n{nb}")
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    widget_errors = [f"{out.get('ename')}: {out.get('evalue')}" for model in state.values()
                     if model.get("model_name") == "OutputModel"
                     for out in model.get("state", {}).get("outputs", []) if out.get("output_type") == "error"]
    assert widget_errors == [], f"a widget callback raised in solutions/{lesson}"


@pytest.mark.parametrize("lesson", PER_LESSON)
def test_4_solution_gets_full_points(lesson, scratch):
    """Does nbgrader autograde give the solution notebook every point of every graded cell?"""
    cells = grades(lesson, scratch)["solution"]
    assert cells, f"no graded cells found in {lesson}"
    lost = [(c.grade_id, c.score, c.max_score) for c in cells if c.score != c.max_score]
    assert lost == [], f"the solution of {lesson} loses points"


@pytest.mark.parametrize("lesson", PER_LESSON)
def test_5_untouched_student_notebook_gets_zero(lesson, scratch):
    """Does nbgrader autograde give the untouched student notebook zero on every graded cell?"""
    cells = grades(lesson, scratch)["blank"]
    assert cells, f"no graded cells found in {lesson}"
    vacuous = [c.grade_id for c in cells if c.score != 0]
    assert vacuous == [], f"these test cells pass without any student code in {lesson}"


@pytest.mark.parametrize("lesson", PER_LESSON)
def test_6_lesson_has_a_widget_and_graded_cells(lesson, scratch):
    """Does the lesson display at least one ipywidgets control, and carry graded cells with points?"""
    nb = executed(lesson, scratch)
    if isinstance(nb, CellExecutionError):
        pytest.fail(f"solutions/{lesson} failed to run (see test 3)")
    views = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if WIDGET_VIEW in o.get("data", {})]
    assert views, f"solutions/{lesson} displays no ipywidgets control"
    graded = [nbgrader_meta(c) for c in nb.cells if nbgrader_meta(c).get("grade")]
    assert graded and all(m.get("points", 0) > 0 for m in graded), "graded cells need points"
    ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c).get("grade_id")]
    assert len(ids) == len(set(ids)), "grade_id values must be unique"
    undocumented = [m["grade_id"] for c in nb.cells if (m := nbgrader_meta(c)).get("grade")
                    and c.cell_type == "code" and not source(c).lstrip().startswith('"""')]
    assert undocumented == [], "each test cell starts with a docstring saying what it checks"
