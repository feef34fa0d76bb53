"""Grades a student cannot forge, in a Keras lesson: the model the student built is checked in the checker.

Lesson 11's ``build_keras_mlp`` answered wrongly (the activation on the last Dense layer too: the model
then returns no logits), then, from the student's own cells, the ways to make the checks pass when they
run in the student's kernel: the checks rebound, Keras's own methods patched so that the model reports
what the test wants, IPython's hooks swallowing the failure. The model crosses to the checker as data
(its configuration and weights, rebuilt there by Keras), so each must score no more than the plain wrong
answer, while the correct answer keeps every point. With the lesson's tests run in the kernel (as before
the checker read Keras models), the patched checks scored the cell's 2 points.
"""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder.grading import autograde
from autograder.lessons import solution_path
from autograder.sandbox import support
from test_grader_trusted import HACKS

LESSON = "11_keras_mlp"
CELL = "build_keras_mlp_layers"
WRONG = '''
def build_keras_mlp(layer_sizes, activation="relu", api="sequential", dtype="float32"):
    if api not in ("sequential", "functional"):
        raise ValueError(f"api must be 'sequential' or 'functional', got {api!r}")
    sizes = [int(n) for n in layer_sizes]
    layers = [keras.layers.Dense(n, activation=activation, name=f"dense{l}", dtype=dtype)
              for l, n in enumerate(sizes[1:], start=1)]
    inputs = keras.Input((sizes[0],), dtype=dtype)
    if api == "sequential":
        return keras.Sequential([inputs, *layers])
    out = inputs
    for layer in layers:
        out = layer(out)
    return keras.Model(inputs, out)
'''
KERAS_HACKS = {
    "keras_methods_patched": '''
import keras
keras.Model.count_params = lambda self: 74
keras.layers.Dense.activation = property(lambda self: type("f", (), {"__name__": "tanh"}))
keras.Model.__instancecheck__ = lambda *a: True
''',
    "serializer_patched": '''
import keras
keras.saving.serialize_keras_object = lambda obj: {"class_name": "Sequential", "config": {}}
''',
}
PICKED = ("checks_patched_in_sys_modules", "hooks_swallow_errors", "thread_rebinds_checks", "import_hook_in_builtins")

pytestmark = [pytest.mark.notebooks, pytest.mark.xdist_group("grader-trusted-keras"),
              pytest.mark.skipif(not support().bwrap, reason="needs bubblewrap: " + "; ".join(support().problems))]


def submission(tmp_path, name, hack):
    nb = copy.deepcopy(nbformat.read(solution_path(LESSON), as_version=4))
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "build_keras_mlp":
            cell.source = WRONG + hack
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trusted_keras")
    hacks = {**{name: HACKS[name] for name in PICKED}, **KERAS_HACKS}
    subs = {"correct": solution_path(LESSON), "wrong": submission(tmp, "wrong", "")}
    subs.update({name: submission(tmp, name, hack) for name, hack in hacks.items()})
    grades = autograde(LESSON, subs, tmp / "course")
    return {student: {c.grade_id: c.score for c in cells} for student, cells in grades.items()}


def test_the_correct_model_keeps_every_point_and_the_wrong_one_loses_them(graded):
    assert graded["correct"][CELL] == 2.0 and sum(graded["correct"].values()) == 7.0, graded["correct"]
    assert graded["wrong"][CELL] == 0.0, graded["wrong"]


@pytest.mark.parametrize("hack", sorted(PICKED + tuple(KERAS_HACKS)))
def test_a_hack_in_the_students_cells_changes_no_grade(graded, hack):
    assert graded[hack][CELL] <= graded["wrong"][CELL], \
        f"{hack} forged points on {CELL}: {graded[hack][CELL]}, the plain wrong answer: {graded['wrong'][CELL]}"
