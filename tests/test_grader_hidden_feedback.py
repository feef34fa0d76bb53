"""Feedback never shows a hidden test: not its code, not a traceback's context, not a printed history.

Before: stock `nbgrader generate_feedback` showed every hidden-test line of lesson 01, and `course-grade
feedback` let 4 of them through the traceback of a failing notebook (IPython quotes the lines around
the failing one, hidden ones included); a student cell could print them from the input history. These
grade failing and prying submissions of lesson 01 through the real pipeline and look for every line of
every hidden test in what the kernel produced and in both commands' feedback.
"""

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.coursedir import GradingCourse
from autograder.feedback import feedback
from autograder.grading import autograde
from autograder.nbgrader_plugins import ANSI, hidden_fragments
from autograder.sandbox import support
from conftest import ROOT

LESSON = "01_softmax"
FIXTURES = ROOT / "autograder" / "fixtures" / LESSON
SUPPORT = support()
pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.xdist_group("grader-hidden-feedback"),
    pytest.mark.skipif(not SUPPORT.bwrap, reason="needs bubblewrap: " + "; ".join(SUPPORT.problems)),
]

# read the hidden tests back at run time, from a cell of the student's own and from inside a test
PRINT_HISTORY = "print(In)\nprint(_ih)\nprint(get_ipython().history_manager.input_hist_raw)\nprint(_i)"
SPY = ("_real_softmax = softmax\n\ndef softmax(Z):\n"
       "    import linecache, sys\n"
       "    caller = sys._getframe(1).f_code.co_filename\n"
       "    print(''.join(linecache.getlines(caller)))\n"
       "    print(get_ipython().history_manager.input_hist_raw[-1])\n"
       "    return _real_softmax(Z)")


def with_cells(base, *sources):
    nb = nbformat.read(FIXTURES / f"{base}.ipynb", as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def visible_text(page):
    """What a reader of the HTML page sees (highlighting splits code into many tags)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def output_text(nb):
    """Everything the notebook's outputs say, colour codes removed."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts += [out.get("text", ""), str(out.get("evalue", "")), *out.get("traceback", []),
                      *[v for k, v in out.get("data", {}).items() if k.startswith("text/") and isinstance(v, str)]]
    return ANSI.sub("", "\n".join(parts))


def leaks(text, fragments):
    return sorted(f for f in fragments if f in text)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("hidden-feedback")
    subs = {"blank": nbformat.read(FIXTURES / "blank.ipynb", as_version=4),
            "partial": nbformat.read(FIXTURES / "partial.ipynb", as_version=4),
            "history": with_cells("correct", PRINT_HISTORY),
            "spy": with_cells("blank", SPY)}
    paths = {}
    for name, nb in subs.items():
        paths[name] = root / f"{name}.ipynb"
        nbformat.write(nb, paths[name])
    autograde(LESSON, paths, root / "course")
    return GradingCourse(root / "course"), sorted(subs)


@pytest.fixture(scope="module")
def fragments():
    found = hidden_fragments(nbformat.read(ROOT / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4))
    assert len(found) > 20, found   # lesson 01 has ten hidden blocks
    return found


def test_the_kernel_never_prints_a_hidden_test(graded, fragments):
    """Tracebacks, error messages and printed history, as the sandboxed kernel produced them."""
    course, students = graded
    for student in students:
        text = output_text(nbformat.read(course.executed(student, LESSON), as_version=4))
        assert not leaks(text, fragments), (student, leaks(text, fragments))


def test_failing_hidden_tests_still_show_as_failed(graded):
    """The blank notebook's test cells keep their error type: a student sees what failed, not how."""
    course, _ = graded
    nb = nbformat.read(course.executed("blank", LESSON), as_version=4)
    errors = [o["ename"] for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert "NotImplementedError" in errors, errors


def test_course_grade_feedback_shows_no_hidden_test(graded, fragments):
    course, students = graded
    done = feedback(course, LESSON)
    assert not done.failed, done.failed
    for student in students:
        page = visible_text(course.feedback(student, LESSON).read_text())
        assert "softmax" in page
        assert not leaks(page, fragments), (student, leaks(page, fragments))


def test_stock_nbgrader_feedback_shows_no_hidden_test(graded, fragments, tmp_path):
    """`nbgrader generate_feedback` run from the course root, with the root's nbgrader_config.py."""
    course, students = graded
    copy = tmp_path / "course"
    shutil.copytree(course.root, copy, ignore=shutil.ignore_patterns("feedback"))
    run = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_feedback", LESSON, "--force",
                          f"--CourseDirectory.root={copy}",
                          f"--CourseDirectory.db_url=sqlite:///{copy / 'gradebook.db'}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    for student in students:
        page = visible_text((copy / "feedback" / student / LESSON / f"{LESSON}.html").read_text())
        assert not leaks(page, fragments), (student, leaks(page, fragments))
