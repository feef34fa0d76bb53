"""Autograde notebooks of one lesson through nbgrader's real pipeline, in a scratch course folder.

Used by the self-test (every solution must earn full marks, every untouched lesson zero) and as the
core the instructor's batch grading builds on.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.lessons import SOLUTIONS, LessonError
from autograder.release import nbgrader


@dataclass(frozen=True, order=True)
class CellGrade:
    """The grade of one autograded test cell."""

    grade_id: str
    score: float
    max_score: float


def prepare_course(lesson, root):
    """Make ``root`` an nbgrader course folder whose gradebook knows ``lesson`` (from solutions/).

    Returns the nbgrader options that point at that folder and its gradebook.
    """
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    options = [f"--CourseDirectory.root={root}",
               f"--CourseDirectory.source_directory={SOLUTIONS}",
               f"--CourseDirectory.release_directory={root / 'release'}",
               f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}"]
    nbgrader("generate_assignment", lesson, "--force", "--log-level=WARN", *options)
    return options


def autograde(lesson, submissions, root):
    """Grade each student's notebook for ``lesson`` with ``nbgrader autograde``.

    Parameters
    ----------
    lesson : lesson id, e.g. "01_softmax"
    submissions : dict student id -> path of the notebook they submitted
    root : an empty scratch folder for the nbgrader course (gradebook, submitted/, autograded/)

    Returns
    -------
    dict student id -> list of CellGrade, one per graded cell, sorted by grade_id
    """
    root = Path(root).resolve()
    options = prepare_course(lesson, root)
    for student, notebook in submissions.items():
        target = root / "submitted" / student / lesson / f"{lesson}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)
    nbgrader("autograde", lesson, "--force", "--log-level=WARN", *options)
    return read_grades(lesson, list(submissions), root)


def read_grades(lesson, students, root):
    """Read the autograded scores of ``students`` from the gradebook in ``root``."""
    from nbgrader.api import Gradebook, MissingEntry

    grades = {}
    with Gradebook(f"sqlite:///{Path(root).resolve() / 'gradebook.db'}") as gb:
        for student in students:
            try:
                notebook = gb.find_submission_notebook(lesson, lesson, student)
            except MissingEntry:
                raise LessonError(f"{student}: no graded submission of {lesson} in the gradebook") from None
            grades[student] = sorted(CellGrade(g.name, float(g.score), float(g.max_score))
                                     for g in notebook.grades)
    return grades
