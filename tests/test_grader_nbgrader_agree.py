"""`course-grade export` and stock nbgrader agree on a submission stock nbgrader graded.

Before: a student that stock `nbgrader autograde` (run from the course root, with the root
nbgrader_config.py) graded with full marks (13/13) was exported by `course-grade export` with the status "no submission"
(export trusted only course-grade's own records), and the Canvas/Moodle sheets noted it as missing.
Here lesson 01's solution is graded by stock nbgrader alone, in a scratch course folder the root config
is pointed at with $COURSE_GRADE_DIR, and both exports are compared row by row.
"""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.export import GRADED_BY_NBGRADER
from conftest import ROOT

pytestmark = [pytest.mark.notebooks, pytest.mark.xdist_group("grader-nbgrader-agree")]

LESSON = "01_softmax"
STUDENT = "ada"
SOLVED = ROOT / "autograder" / "fixtures" / LESSON / "correct.ipynb"
NBGRADER = Path(sys.executable).parent / "nbgrader"
NBGRADER_FIELDS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                   "raw_score", "late_submission_penalty", "score", "max_score"]


def run(command, env, timeout=600):
    out = subprocess.run([str(c) for c in command], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, f"{' '.join(map(str, command))} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course folder where stock nbgrader, from the course root, autograded lesson 01's solution."""
    course = tmp_path_factory.mktemp("nbgrader-agree") / "course"
    target = course / "submitted" / STUDENT / LESSON / f"{LESSON}.ipynb"
    target.parent.mkdir(parents=True)
    target.write_bytes(SOLVED.read_bytes())
    env = dict(os.environ, COURSE_GRADE_DIR=str(course))   # the root config's course folder, as course-grade's
    env.pop("NBGRADER_EXECUTION", None)
    run([NBGRADER, "generate_assignment", LESSON, "--force", "--log-level=WARN"], env)
    run([NBGRADER, "autograde", LESSON, "--log-level=WARN"], env)
    stock = course.parent / "nbgrader-grades.csv"
    run([NBGRADER, "export", f"--to={stock}", "--log-level=WARN"], env)
    return course, list(csv.DictReader(io.StringIO(stock.read_text()))), env


def course_grade_export(course, env, *options):
    """What `course-grade export` writes (stdout) and notes (stderr)."""
    out = run([sys.executable, "-m", "autograder", "export", "--course-dir", course, "--to", "-", *options], env)
    return out.stdout, out.stderr


def test_stock_nbgrader_graded_in_the_course_folder(graded):
    """Did stock nbgrader, run from the course root, grade into the course folder course-grade reads?"""
    course, stock, _ = graded
    assert (course / "gradebook.db").is_file(), "stock nbgrader did not use <course>/gradebook.db"
    assert (course / "autograded" / STUDENT / LESSON / f"{LESSON}.ipynb").is_file()
    assert [r["student_id"] for r in stock] == [STUDENT], stock
    assert float(stock[0]["max_score"]) > 0 and stock[0]["score"] == stock[0]["max_score"], (
        f"stock nbgrader did not give the solution full marks: {stock[0]}")


def test_export_reports_the_score_stock_nbgrader_gave(graded):
    """Does `course-grade export` give the same score row as `nbgrader export`, with the status graded?"""
    course, stock, env = graded
    rows = list(csv.DictReader(io.StringIO(course_grade_export(course, env)[0])))
    assert len(rows) == 1, rows
    row = rows[0]
    assert {k: row[k] for k in NBGRADER_FIELDS} == stock[0], f"course-grade: {row}\nnbgrader: {stock[0]}"
    assert (row["status"], row["reason"]) == ("graded", GRADED_BY_NBGRADER), (
        f"a submission stock nbgrader graded {row['score']}/{row['max_score']} is exported as "
        f"{row['status']!r} ({row['reason']!r})")


def test_canvas_sheet_has_the_cells_stock_nbgrader_graded(graded):
    """Does the Canvas sheet carry the per-cell scores and total of the nbgrader-graded submission, unremarked?"""
    course, _, env = graded
    sheet, notes = course_grade_export(course, env, "--format", "canvas")
    assert STUDENT not in notes, f"course-grade export notes: {notes}"
    rows = list(csv.reader(io.StringIO(sheet)))
    header, points, row = rows[0], rows[1], rows[2]
    assert row[1] == STUDENT
    total = header.index(LESSON)
    assert float(points[total]) > 0 and row[total] == points[total], dict(zip(header, row))
    cells = [i for i, name in enumerate(header) if name.startswith(f"{LESSON}: ")]
    assert cells and all(row[i] == points[i] for i in cells), dict(zip(header, row))
