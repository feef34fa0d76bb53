"""Output floods written below Python's sys.stdout, straight to file descriptors 1 and 2.

Before: a cell looping on `os.write(1, ...)` ran until the cell's time limit and the submission was
reported "timed out" (ipykernel forwards fd output through the same stream the kernel cuts, so the
grader never saw the flood; its copy to the kernel's log filled the disk to the file-size limit).
Now the flooding cell is interrupted once it is well past the output budget and the status is
"output truncated"; a cell that catches the interrupt and floods on loses its kernel. The real
pipeline: rebuilt, executed in the sandbox, saved by nbgrader.
"""

import nbformat
import pytest

from autograder import status as st
from autograder.coursedir import GradingCourse
from autograder.grading import autograde
from autograder.sandbox import support
from conftest import ROOT

LESSON = "01_softmax"
SUPPORT = support()
pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.xdist_group("grader-floods"),
    pytest.mark.skipif(not SUPPORT.bwrap, reason="needs bubblewrap: " + "; ".join(SUPPORT.problems)),
]

FLOODS = {
    "fd1": "import os\nwhile True:\n    os.write(1, b'x' * 65536)",
    "fd2": "import os\nfor _ in range(10 ** 6):\n    os.write(2, b'y' * 65536)",
    # catches the interrupt and floods on: the grader stops the kernel itself
    "stubborn": ("import os\nwhile True:\n    try:\n        while True:\n            os.write(1, b'z' * 65536)\n"
                 "    except KeyboardInterrupt:\n        pass"),
}


def flooding(code):
    """The solution with a cell of the student's own before the first answer."""
    nb = nbformat.read(ROOT / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    nb.cells.insert(first, nbformat.v4.new_code_cell(code))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("floods")
    paths = {}
    for student, code in FLOODS.items():
        paths[student] = tmp / f"{student}.ipynb"
        nbformat.write(flooding(code), paths[student])
    grades = autograde(LESSON, paths, tmp / "course")
    course = GradingCourse(tmp / "course")
    return ({s: sum(g.score for g in cells) for s, cells in grades.items()},
            {s: st.Result.load(course.result_path(s, LESSON)) for s in FLOODS})


@pytest.mark.parametrize("student", ["fd1", "fd2"])
def test_a_flood_on_a_file_descriptor_is_cut_and_interrupted(graded, student):
    """Is the flooding cell stopped as "output truncated" (not "timed out"), the rest graded as usual?"""
    scores, results = graded
    result = results[student]
    assert result.status == st.OUTPUT, (result.status, result.reason)
    assert "printed more than" in result.reason and "was interrupted" in result.reason, result.reason
    assert not any(status == st.TIMED_OUT for status, _ in result.events), result.events
    assert scores[student] == result.max_score > 0, scores


def test_a_flood_that_ignores_the_interrupt_loses_its_kernel(graded):
    """Is a cell that catches KeyboardInterrupt and floods on stopped by the grader, said so, and do the
    test cells after it count as not run?"""
    scores, results = graded
    result = results["stubborn"]
    assert result.status == st.OUTPUT, (result.status, result.reason)
    assert "went on printing after it was interrupted, and was stopped" in result.reason, result.reason
    assert "could not run" in result.reason, result.reason
    assert scores["stubborn"] == 0, scores
