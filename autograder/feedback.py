"""Per-student HTML feedback, written by nbgrader's ``generate_feedback``.

Two additions to nbgrader's pipeline: the grading status and its reasons open the feedback (when
anything was unusual), and the hidden tests are removed from the test cells' code and from every output that
quotes them (a traceback's context, an error message, a print of the input history: their failures still
show as failures) unless the instructor asks to show them.

One student's feedback never fails the others': when nbgrader cannot convert a notebook, that
student gets a short page with the grading status and score instead (the instructor is told why),
and everybody else gets their feedback as usual.
"""

from __future__ import annotations

import html
import re
import warnings
from dataclasses import dataclass, field

from autograder.lessons import LessonError


@dataclass
class Feedback:
    """What ``feedback`` wrote: every student's page, and the students who got the short page instead."""

    paths: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)   # student -> why nbgrader could not convert the notebook


def feedback(course, lesson, show_hidden_tests=False):
    """Write feedback/<student>/<lesson>/<lesson>.html for every autograded student; return a Feedback."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.preprocessors import GetGrades

    from autograder.nbgrader_plugins import AddGradingStatus, HideHiddenTests

    graded = sorted(p.parent.name for p in (course.root / "autograded").glob(f"*/{lesson}"))
    if not graded:
        raise LessonError(f"nothing autograded for {lesson} in {course.root}: run "
                          f"`course-grade autograde {lesson}` first")
    config = course.nbgrader_config()
    steps = [AddGradingStatus, GetGrades, CSSHTMLHeaderPreprocessor]
    if not show_hidden_tests:
        steps.insert(1, HideHiddenTests)
    config.GenerateFeedback.preprocessors = steps
    config.AddGradingStatus.results_directory = str(course.state / "results")
    api = NbGraderAPI(config=config)
    done = Feedback()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # sqlalchemy and nbconvert chatter
        out = api.generate_feedback(lesson, force=True)
        if not out.get("success"):
            # nbgrader goes on after a failure and removes that student's feedback: find who, and why
            for student in graded:
                if course.feedback(student, lesson).exists():
                    continue
                one = api.generate_feedback(lesson, student, force=True)
                if not one.get("success") or not course.feedback(student, lesson).exists():
                    done.failed[student] = _last_error(one)
                    _short_page(course, lesson, student)
    done.paths = [course.feedback(s, lesson) for s in graded if course.feedback(s, lesson).exists()]
    return done


EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*): \S")   # "package.module.SomeError: message"


def _last_error(out):
    """What went wrong, from nbgrader's log: its last exception line (not nbgrader's own summary)."""
    log = (out.get("log", "") + "\n" + out.get("error", "")).splitlines()
    found = [ln.strip() for ln in log if EXCEPTION_LINE.match(ln) and "NbGraderException" not in ln]
    return (found[-1] if found else "see nbgrader's log")[:500]


def _short_page(course, lesson, student):
    """A feedback page with the grading status and score only, for a notebook nbgrader could not convert."""
    from autograder import status as st

    result = st.Result.load(course.result_path(student, lesson))
    lines = [f"<h1>Feedback: {html.escape(lesson)}</h1>"]
    if result is not None:
        score = "-" if result.score is None else f"{result.score:g} / {result.max_score:g}"
        lines += [f"<p><b>Score: {html.escape(score)}</b></p>",
                  f"<p><b>Grading status: {html.escape(result.status)}.</b></p>",
                  "<ul>" + "".join(f"<li>{html.escape(r)}</li>" for r in result.reasons) + "</ul>"]
    lines.append("<p>Your notebook was graded, but its detailed feedback could not be produced; ask your "
                 "instructor for it.</p>")
    path = course.feedback(student, lesson)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
                    f"{html.escape(lesson)}</title></head><body>\n" + "\n".join(lines) + "\n</body></html>\n")
