"""Autograde notebooks of one lesson through the grader's real pipeline, in a scratch course folder.

Used by the self-test (every solution must earn full marks, every untouched lesson zero): the same
path as ``course-grade autograde`` (rebuilt from the release, executed in the sandbox, saved by
nbgrader's autograde), so a lesson that cannot be graded in the sandbox fails its self-test.
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


def autograde(lesson, submissions, root, limits=None, workers=None):
    """Grade each student's notebook for ``lesson`` as ``course-grade autograde`` does.

    Parameters
    ----------
    lesson : lesson id, e.g. "01_softmax"
    submissions : dict student id -> path of the notebook they submitted
    root : an empty scratch folder for the nbgrader course (gradebook, submitted/, autograded/)
    limits : sandbox Limits (default: the command's defaults)
    workers : parallel workers (default: up to two)

    Returns
    -------
    dict student id -> list of CellGrade, one per graded cell, sorted by grade_id
    """
    from autograder import batch
    from autograder import status as st
    from autograder.coursedir import GradingCourse

    course = GradingCourse(root)
    for student, notebook in submissions.items():
        target = course.submitted(student, lesson)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)
    results = batch.autograde(course, lesson, workers=workers or min(2, len(submissions)), limits=limits,
                              force=True, students=list(submissions), progress=False, log=lambda s: None)
    failed = {s: r.reason for s, r in results.items() if r.status == st.GRADER_ERROR}
    if failed:
        raise LessonError(f"the grader failed on {lesson}: {failed}")
    return read_grades(lesson, list(submissions), course.root)


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
