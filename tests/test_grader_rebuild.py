"""Rebuilding a submission from the released notebook: the student's work is kept, nothing else."""

import copy

import nbformat
import pytest

from autograder.rebuild import grade_id, rebuild


def _cell(kind, source, gid=None, **nbgrader):
    new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = new(source)
    if gid:
        cell.metadata["nbgrader"] = {"grade_id": gid, "schema_version": 3, "grade": False, "solution": False,
                                     "locked": False, "task": False, **nbgrader}
    return cell


@pytest.fixture
def template():
    """A small lesson: intro, a solution cell, a demo cell, a test cell with a hidden test."""
    return nbformat.v4.new_notebook(cells=[
        _cell("markdown", "# Intro", "intro", locked=True),
        _cell("code", "def f(x):\n    raise NotImplementedError()", "f", solution=True),
        _cell("code", "print(f(1))"),
        _cell("code", "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS",
              "test_f", grade=True, locked=True, points=3),
    ])


RELEASED = {"intro": "# Intro", "f": "def f(x):\n    raise NotImplementedError()",
            "test_f": "assert f(1) == 2\n"}


def student(template):
    """The released notebook as a student would see it (no hidden tests), with f answered."""
    nb = copy.deepcopy(template)
    nb.cells[1].source = "def f(x):\n    return 2 * x"
    nb.cells[3].source = RELEASED["test_f"]
    return nb


def sources(nb):
    return [c.source for c in nb.cells]


def test_untouched_work_is_rebuilt_as_is(template):
    """Does an honest submission come back with its answer, the hidden tests, and no notes?"""
    out = rebuild(template, student(template), RELEASED)
    assert sources(out.nb) == [template.cells[0].source, "def f(x):\n    return 2 * x", "print(f(1))",
                               template.cells[3].source]
    assert out.notes == [] and not out.tampered


def test_deleted_test_cell_comes_back(template):
    """Is a deleted test cell restored (with its hidden tests) and reported as tampering?"""
    nb = student(template)
    del nb.cells[3]
    out = rebuild(template, nb, RELEASED)
    assert [grade_id(c) for c in out.nb.cells] == ["intro", "f", None, "test_f"]
    assert "### BEGIN HIDDEN TESTS" in out.nb.cells[3].source
    assert out.tampered and out.notes == ["test cell 'test_f' was deleted; restored"]


def test_edited_test_cell_is_restored(template):
    """Is a test cell edited to pass restored to the instructor's version?"""
    nb = student(template)
    nb.cells[3].source = "pass"
    out = rebuild(template, nb, RELEASED)
    assert out.nb.cells[3].source == template.cells[3].source
    assert out.tampered and "its code was edited" in out.notes[0]


def test_points_changed_in_metadata_are_restored(template):
    """Are points raised to 1000 in a test cell's metadata put back to the lesson's value?"""
    nb = student(template)
    nb.cells[3].metadata["nbgrader"]["points"] = 1000
    out = rebuild(template, nb, RELEASED)
    assert out.nb.cells[3].metadata["nbgrader"]["points"] == 3
    assert out.tampered and "points 3 -> 1000" in out.notes[0]


def test_free_cells_stay_after_the_cell_they_followed(template):
    """Do the student's own cells keep their place, and the template's demo cell give way to theirs?"""
    nb = student(template)
    nb.cells.insert(2, _cell("code", "helper = 1"))
    nb.cells[3].source = "print(f(3))  # my own demo"
    nb.cells.insert(0, _cell("markdown", "my notes"))
    out = rebuild(template, nb, RELEASED)
    assert sources(out.nb)[:5] == ["my notes", template.cells[0].source, "def f(x):\n    return 2 * x",
                                   "helper = 1", "print(f(3))  # my own demo"]
    assert not out.tampered


def test_missing_solution_cell_is_graded_unanswered(template):
    """Is a deleted solution cell replaced by the stub (so it earns nothing) and reported?"""
    nb = student(template)
    del nb.cells[1]
    out = rebuild(template, nb, RELEASED)
    restored = [c for c in out.nb.cells if grade_id(c) == "f"]
    assert [c.source for c in restored] == [template.cells[1].source]
    assert "solution cell 'f' is missing" in out.notes[0]


def test_a_fake_graded_cell_loses_its_grading_metadata(template):
    """Does a cell the student marked as graded (500 points) run as an ordinary cell instead?"""
    nb = student(template)
    fake = _cell("code", "print('bonus')", "bonus", grade=True, points=500)
    nb.cells.append(fake)
    out = rebuild(template, nb, RELEASED)
    assert out.nb.cells[-1].source == "print('bonus')"
    assert "nbgrader" not in out.nb.cells[-1].metadata
    assert out.tampered


def test_a_copied_solution_cell_runs_but_the_first_is_graded(template):
    """With two cells carrying the same solution id, is the first graded and the copy kept as code?"""
    nb = student(template)
    copy_cell = copy.deepcopy(nb.cells[1])
    copy_cell.source = "def f(x):\n    return 0"
    nb.cells.insert(2, copy_cell)
    out = rebuild(template, nb, RELEASED)
    assert out.nb.cells[1].source == "def f(x):\n    return 2 * x"
    assert out.nb.cells[2].source == "def f(x):\n    return 0" and "nbgrader" not in out.nb.cells[2].metadata
    assert "a second cell with the id 'f'" in out.notes[0]


def test_rebuilt_notebook_is_valid_with_unique_ids(template):
    """Is the rebuilt notebook valid nbformat, without outputs and with unique cell ids?"""
    nb = student(template)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="2\n")]
    out = rebuild(template, nb, RELEASED)
    nbformat.validate(out.nb)
    ids = [c.id for c in out.nb.cells]
    assert len(ids) == len(set(ids))
    assert all(not c.get("outputs") for c in out.nb.cells if c.cell_type == "code")


def test_code_touching_ipython_is_flagged_for_review(template):
    """Is a student cell that patches IPython's error reporting flagged for the instructor to review?"""
    nb = student(template)
    nb.cells.insert(2, _cell("code", "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)"))
    out = rebuild(template, nb, RELEASED)
    assert out.notes == ["review by hand: cell 3 (added by the student) uses get_ipython, set_custom_exc, "
                         "which can change how the tests after it report failures"]


def test_code_redefining_the_checks_is_tampering(template):
    """Is a student cell that redefines or patches what the lesson's setup imported reported?"""
    nb = student(template)
    setup = _cell("code", "import numpy as np\nfrom course.testing import check_array", "setup", locked=True)
    template.cells.insert(1, setup)
    nb.cells.insert(1, copy.deepcopy(setup))
    nb.cells.insert(3, _cell("code", "def check_array(*a, **k):\n    pass\nnp.allclose = lambda *a: True\n"
                                     "import numpy as np  # importing again is fine\nx = 1"))
    out = rebuild(template, nb, RELEASED)
    assert out.tampered
    assert out.notes == [
        "cell 4 (added by the student) redefines check_array, which the tests use: the lesson's versions "
        "are restored before each test cell",
        "review by hand: cell 4 (added by the student) changes attributes of np, which the tests use"]
