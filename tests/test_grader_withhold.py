"""While a lesson is graded, the course's own answers to it cannot be used (autograder/kernel_withhold.py).

The course package holds a reference of most graded functions (course/nn/references.py). A submission
that imports them instead of writing them must score zero on the cells that use them, and the report must
say why; the solution must keep every point (the lesson's own cells and the library still call them).
These run the real pipeline: rebuilt, executed in the sandbox, saved by nbgrader.
"""

import copy

import nbformat
import pytest

from autograder import status as st
from autograder.coursedir import GradingCourse
from autograder.grading import autograde
from autograder.rebuild import rebuild
from autograder.sandbox import support
from autograder.worker import withhold_spec
from conftest import ROOT

SUPPORT = support()
pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.xdist_group("grader-withhold"),   # one worker grades each lesson's batch once
    pytest.mark.skipif(not SUPPORT.bwrap, reason="needs bubblewrap: " + "; ".join(SUPPORT.problems)),
]

IMPORT_07 = {
    "sgd": "from course.nn.optim import sgd",
    "sgd_momentum": "from course.nn.optim import sgd_momentum",
    "adam": "from course.nn import optim\nadam = optim.adam",
    "minibatches": "import course.nn.batches\nminibatches = course.nn.batches.minibatches",
}
# Ways around a check on names: text run with exec, and a cell named like a library file.
EXEC_07 = {"sgd": 'exec("from course.nn.optim import sgd as _answer\\n'
                  'def sgd(w, dw, config=None):\\n    return _answer(w, dw, config)")'}
# (a cell added before the answer names every later cell after the library's file)
RENAMED_07 = {"sgd": ('import os\nos.environ["IPYKERNEL_CELL_NAME"] = __import__("course.nn.optim").nn.optim.__file__',
                      "from course.nn.optim import sgd as _answer\n\n"
                      "def sgd(w, dw, config=None):\n    return _answer(w, dw, config)")}
IMPORT_08 = {
    "init_deep": "from course.nn.init import init_params\n\n"
                 "def init_deep(layer_sizes, rng, method='he_normal'):\n"
                 "    return init_params(layer_sizes, rng, method)",
    "dropout_forward": "from course.nn.dropout import dropout_forward",
    "dropout_backward": "from course.nn.dropout import dropout_backward",
    "l2_penalty": "from course.nn.losses import l2_penalty",
}
# the digit reader's two exercises, answered by the library's same-name functions (references.SAME_NAME)
DIGITS_08 = {
    "segment_digits": "from course.digitreader import segment_digits",
    "to_mnist_frame": "from course.digitreader import to_mnist_frame",
}


def solution(lesson):
    return nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)


def replaced(lesson, answers):
    """The solution notebook with the given solution cells' code replaced (a pair: a cell of the
    student's own goes before it)."""
    nb = copy.deepcopy(solution(lesson))
    cells = []
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            answer = answers[gid]
            if isinstance(answer, tuple):
                cells.append(nbformat.v4.new_code_cell(answer[0]))
                answer = answer[1]
            cell.source = answer
        cells.append(cell)
    nb.cells = cells
    return nb


def grade(tmp_path, lesson, notebooks):
    paths = {}
    for student, nb in notebooks.items():
        paths[student] = tmp_path / f"{student}.ipynb"
        nbformat.write(nb, paths[student])
    grades = autograde(lesson, paths, tmp_path / "course")
    course = GradingCourse(tmp_path / "course")
    results = {s: st.Result.load(course.result_path(s, lesson)) for s in notebooks}
    return {s: {g.grade_id: g.score for g in cells} for s, cells in grades.items()}, results


@pytest.fixture(scope="module")
def lesson07(tmp_path_factory):
    lesson = "07_optimizers"
    return grade(tmp_path_factory.mktemp("withhold-07"), lesson,
                 {"honest": solution(lesson), "importer": replaced(lesson, IMPORT_07),
                  "exec": replaced(lesson, EXEC_07), "renamed": replaced(lesson, RENAMED_07)})


@pytest.fixture(scope="module")
def lesson08(tmp_path_factory):
    lesson = "08_deep_networks"
    return grade(tmp_path_factory.mktemp("withhold-08"), lesson,
                 {"honest": solution(lesson), "importer": replaced(lesson, IMPORT_08),
                  "digits": replaced(lesson, DIGITS_08)})


def test_the_solution_keeps_every_point_while_answers_are_withheld(lesson07, lesson08):
    """Do the lesson's own cells and the library still reach the withheld functions?"""
    for grades, results in (lesson07, lesson08):
        assert all(score > 0 for score in grades["honest"].values()), grades["honest"]
        assert results["honest"].status == st.GRADED, results["honest"].reason


def test_importing_the_answers_of_lesson_07_scores_zero(lesson07):
    """Before: `from course.nn.optim import sgd, ...` scored 20/20. Now every cell using them scores 0."""
    grades, results = lesson07
    assert sum(grades["importer"].values()) == 0, grades["importer"]
    result = results["importer"]
    assert result.status == st.WITHHELD
    for name in ("course.nn.optim.sgd", "course.nn.optim.adam", "course.nn.batches.minibatches"):
        assert name in result.reason
    assert "write `sgd` yourself" in result.reason


def test_importing_the_answers_of_lesson_08_scores_zero_on_their_cells(lesson08):
    """The cells testing the imported functions score 0; the others (digit reading) keep their points."""
    grades, results = lesson08
    zero = {"init_deep_shapes", "dropout_test_time_identity", "dropout_train_statistics",
            "dropout_backward_values", "l2_penalty_values", "deep_loss_gradcheck_with_l2"}
    assert all(grades["importer"][gid] == 0 for gid in zero), grades["importer"]
    assert sum(grades["importer"].values()) < sum(grades["honest"].values()) / 4
    assert results["importer"].status == st.WITHHELD
    assert "course.nn.dropout.dropout_forward" in results["importer"].reason


def test_the_digit_readers_same_name_library_functions_are_withheld(lesson08):
    """Before: `from course.digitreader import segment_digits, to_mnist_frame` kept 22/22. Now the two
    cells testing them score 0, the rest of lesson 08 keeps its points."""
    grades, results = lesson08
    assert grades["digits"]["segment_digits_boxes"] == grades["digits"]["to_mnist_frame_properties"] == 0
    others = {gid: score for gid, score in grades["digits"].items()
              if gid not in {"segment_digits_boxes", "to_mnist_frame_properties"}}
    assert others == {gid: grades["honest"][gid] for gid in others}, others
    assert results["digits"].status == st.WITHHELD
    assert "course.digitreader.segment_digits" in results["digits"].reason


def test_the_answer_behind_exec_or_a_borrowed_cell_name_is_refused(lesson07):
    """A wrapper defined in exec'd text, or in a cell compiled under a library file's name, is not
    the course's code: the sgd cell scores 0, and the code is flagged for review."""
    grades, results = lesson07
    for student in ("exec", "renamed"):
        assert grades[student]["sgd_step"] == 0, (student, grades[student])
        assert grades[student]["adam_steps"] > 0, (student, grades[student])   # the rest is the solution
        assert "course.nn.optim.sgd" in results[student].reason
        assert "which can reach the course's answers that grading withholds" in results[student].reason


def test_only_released_cells_that_are_not_tests_are_trusted():
    """The kernel trusts the setup and demo cells as released, never a test or a solution cell."""
    nb = solution("07_optimizers")
    spec = withhold_spec("07_optimizers", nb)
    assert "course.nn.optim.sgd" in spec["withheld"] and spec["exercises"]["course.nn.train.fit"] == ["train"]
    import hashlib
    digests = {hashlib.sha256(c.source.encode()).hexdigest(): c for c in nb.cells if c.cell_type == "code"}
    trusted = [digests[d] for d in spec["trusted"]]
    assert trusted and not any(c.metadata.get("nbgrader", {}).get(k) for c in trusted for k in ("grade", "solution"))


def test_digging_into_the_interpreter_is_flagged_for_review():
    """gc, __closure__, frames, exec: the ways past the guard are noted for the instructor."""
    template = solution("07_optimizers")
    student = replaced("07_optimizers", {"sgd": "import gc\nsgd = [f for f in gc.get_objects() if 0]"})
    notes = " ".join(rebuild(template, student, {}).notes)
    assert "solution cell 'sgd' uses gc" in notes and "withholds" in notes
