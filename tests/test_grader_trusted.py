"""Grades a student cannot forge: the test cells run in the checker, not in the student's kernel.

Each submission below answers softmax wrongly (all zeros: right shape, wrong values) and then tries to
make the checks pass from its own cells, in one of the ways a student can reach the comparisons when they
share the kernel: NumPy's comparisons or the lesson's checks rebound, an ``ndarray`` subclass whose
comparisons lie, IPython transformers and hooks, a thread that rebinds the checks after each restore.
Graded through the real pipeline, each must score no more than the plain wrong answer on any softmax
cell, while the correct answer keeps every point. Before the checker (tests run in the kernel), each of
these scored 13/13 or close to it.
"""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder.grading import autograde
from autograder.lessons import solution_path
from autograder.sandbox import support

LESSON = "01_softmax"
SOFTMAX_CELLS = {"softmax_rows_sum_to_one", "softmax_keeps_shape", "softmax_matches_values", "softmax_is_stable",
                 "softmax_shift_invariant", "softmax_float32", "softmax_vector", "softmax_two_classes_is_sigmoid"}
WRONG = '''import numpy as np

def softmax(Z):
    Z = np.asarray(Z, dtype=float)
    return np.zeros_like(Z)
'''

HACKS = {
    "numpy_patched": '''
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
np.all = lambda *a, **k: True
''',
    "checks_patched_in_sys_modules": '''
import sys
for name in ("check_array", "check_true", "check_shape", "check_type", "check_close", "check_inputs_unchanged"):
    setattr(sys.modules["course.testing"], name, lambda *a, **k: a[1] if len(a) > 1 else None)
    globals()[name] = getattr(sys.modules["course.testing"], name)
''',
    "lying_ndarray": '''
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(self), bool)
    def __ge__(self, other): return np.ones(np.shape(self), bool)
    def sum(self, *a, **k): return np.ones(self.shape[0]).view(Liar)
    def min(self, *a, **k): return 0.0
_wrong = softmax
def softmax(Z):
    return np.asarray(_wrong(Z)).view(Liar)
''',
    "ast_transformer": '''
import ast
from IPython import get_ipython

class DropChecks(ast.NodeTransformer):
    def visit_Expr(self, node):
        return None if isinstance(node.value, ast.Call) else node

get_ipython().ast_transformers.append(DropChecks())
''',
    "input_transformer": '''
from IPython import get_ipython
get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
''',
    "hooks_swallow_errors": '''
import sys
from IPython import get_ipython
shell = get_ipython()
shell.showtraceback = lambda *a, **k: None
shell.set_custom_exc((BaseException,), lambda *a, **k: None)
sys.excepthook = lambda *a: None
''',
    "thread_rebinds_checks": '''
import sys, threading, time
def rebind():
    while True:
        mod = sys.modules["course.testing"]
        for name in ("check_array", "check_true", "check_shape", "check_type", "check_inputs_unchanged"):
            setattr(mod, name, lambda *a, **k: a[1] if len(a) > 1 else None)
            get_ipython().user_ns[name] = getattr(mod, name)
        time.sleep(0.001)
from IPython import get_ipython
threading.Thread(target=rebind, daemon=True).start()
''',
    "import_hook_in_builtins": '''
import builtins
_real_import = builtins.__import__
def fake_import(name, *args, **kwargs):
    module = _real_import(name, *args, **kwargs)
    if name == "course.testing" or name.startswith("course"):
        for attr in ("check_array", "check_true", "check_shape", "check_type", "check_inputs_unchanged"):
            try:
                setattr(module, attr, lambda *a, **k: a[1] if len(a) > 1 else None)
            except Exception:
                pass
    return module
builtins.__import__ = fake_import
''',
    "replaces_the_serving_hook": '''
__course_grade_serve__ = lambda: None
''',
}

pytestmark = [pytest.mark.notebooks, pytest.mark.xdist_group("grader-trusted"),
              pytest.mark.skipif(not support().bwrap, reason="needs bubblewrap: " + "; ".join(support().problems))]


def submission(tmp_path, name, hack):
    nb = nbformat.read(solution_path(LESSON), as_version=4)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "softmax":
            cell.source = WRONG + hack
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trusted")
    subs = {"correct": solution_path(LESSON), "wrong": submission(tmp, "wrong", "")}
    subs.update({name: submission(tmp, name, hack) for name, hack in HACKS.items()})
    grades = autograde(LESSON, subs, tmp / "course")
    return {student: {c.grade_id: c.score for c in cells} for student, cells in grades.items()}


def test_the_correct_answer_keeps_every_point(graded):
    assert sum(graded["correct"].values()) == 13.0


def test_the_wrong_answer_loses_the_softmax_points(graded):
    wrong = {cell: graded["wrong"][cell] for cell in SOFTMAX_CELLS}
    correct = {cell: graded["correct"][cell] for cell in SOFTMAX_CELLS}
    # all zeros has the right shape and type, so the shape checks pass: the values' checks do not
    assert sum(wrong.values()) <= sum(correct.values()) - 6, wrong


@pytest.mark.parametrize("hack", sorted(HACKS))
def test_a_hack_in_the_students_cells_changes_no_grade(graded, hack):
    got = {cell: graded[hack][cell] for cell in SOFTMAX_CELLS}
    want = {cell: graded["wrong"][cell] for cell in SOFTMAX_CELLS}
    # a hack that stops the kernel from answering (a transformer rewriting the grader's call) loses more
    assert all(got[cell] <= want[cell] for cell in SOFTMAX_CELLS), \
        f"{hack} forged points: {got}, the plain wrong answer: {want}"
