"""Per-student HTML feedback, written by nbgrader's ``generate_feedback``.

Two additions to nbgrader's pipeline: the grading status and its reasons open the feedback (when
anything was unusual), and the hidden tests are removed from the test cells' code (their failures
still show, with the message saying what was wrong) unless the instructor asks to show them.
"""

from __future__ import annotations

import warnings

from autograder.lessons import LessonError


def feedback(course, lesson, show_hidden_tests=False):
    """Write feedback/<student>/<lesson>/<lesson>.html for every autograded student; return the paths."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

    from autograder.nbgrader_plugins import AddGradingStatus

    graded = sorted(p.parent.name for p in (course.root / "autograded").glob(f"*/{lesson}"))
    if not graded:
        raise LessonError(f"nothing autograded for {lesson} in {course.root}: run "
                          f"`course-grade autograde {lesson}` first")
    config = course.nbgrader_config()
    steps = [AddGradingStatus, GetGrades, CSSHTMLHeaderPreprocessor]
    if not show_hidden_tests:
        steps.insert(1, ClearHiddenTests)
    config.GenerateFeedback.preprocessors = steps
    config.AddGradingStatus.results_directory = str(course.state / "results")
    api = NbGraderAPI(config=config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # sqlalchemy and nbconvert chatter
        out = api.generate_feedback(lesson, force=True)
    if not out.get("success"):
        log = (out.get("log", "") + out.get("error", "")).strip()
        raise LessonError(f"nbgrader generate_feedback failed:\n{log[-3000:]}")
    return [course.feedback(s, lesson) for s in graded if course.feedback(s, lesson).exists()]
