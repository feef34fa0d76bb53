"""Exporting the grades: per-question scores in Canvas's and Moodle's import CSV, and nobody left out.

The gradebook is written with nbgrader's own API (two graded cells, three students), so these tests
read the same tables the real pipeline fills, without grading a notebook.
"""

import csv
import io
import subprocess
import sys
import zipfile

import pytest

from autograder.collect import collect
from autograder.coursedir import GradingCourse
from autograder.export import export
from autograder.lessons import LessonError
from conftest import ROOT

LESSON = "01_softmax"
NOTEBOOK = (ROOT / "autograder" / "fixtures" / LESSON / "correct.ipynb").read_bytes()
CELLS = {"softmax_rows_sum_to_one": 2.0, "softmax_is_stable": 3.0}


def grade(course, scores):
    """Write ``{student: {grade_id: points}}`` into the course's gradebook as autograded scores."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_assignment(LESSON)
        gb.update_or_create_notebook(LESSON, LESSON)
        for gid, points in CELLS.items():
            gb.update_or_create_grade_cell(gid, LESSON, LESSON, max_score=points, cell_type="code")
        for student, got in scores.items():
            gb.update_or_create_student(student)
            gb.add_submission(LESSON, student)
            for gid, points in got.items():
                g = gb.find_grade(gid, LESSON, LESSON, student)
                g.auto_score = points
            gb.db.commit()


@pytest.fixture
def course(tmp_path):
    """A course whose Canvas download had 4021 (late) and 4022; 4023 has no gradebook entry."""
    course = GradingCourse(tmp_path / "course")
    src = tmp_path / "submissions.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(f"lovelaceada_LATE_4021_998877_{LESSON}.ipynb", NOTEBOOK)
        z.writestr(f"turingalan_4022_998878_{LESSON}.ipynb", NOTEBOOK)
    collect(course, src, LESSON)
    grade(course, {"4021": {"softmax_rows_sum_to_one": 2.0, "softmax_is_stable": 0.0},
                   "4022": {"softmax_rows_sum_to_one": 2.0, "softmax_is_stable": 3.0}})
    return course


def read(text):
    return list(csv.reader(io.StringIO(text)))


def test_canvas_sheet_has_per_question_columns_and_points_possible(course):
    """Is the Canvas export Canvas's import layout, one column per graded cell plus the total?"""
    rows = read(export(course, to="-", fmt="canvas", assignment_ids={LESSON: "555"}))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       f"{LESSON}: softmax_is_stable", f"{LESSON}: softmax_rows_sum_to_one", f"{LESSON} (555)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "3", "2", "5"]
    by_id = {r[1]: r for r in rows[2:]}
    assert by_id["4021"] == ["lovelaceada", "4021", "", "", "", "0", "2", "2"]
    assert by_id["4022"][5:] == ["3", "2", "5"]


def test_moodle_sheet_uses_the_roster_identifier(course, tmp_path):
    """Does the Moodle export name each user by the roster's email, with per-question columns and late?"""
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,email\n4021,Ada Lovelace,ada@example.org\n"
                      "4022,Alan Turing,alan@example.org\n")
    notes = []
    rows = read(export(course, to="-", fmt="moodle", roster=roster, notes=notes))
    assert rows[0] == ["Email address", "Full name", f"{LESSON}: softmax_is_stable",
                       f"{LESSON}: softmax_rows_sum_to_one", LESSON, f"{LESSON} late"]
    by_mail = {r[0]: r for r in rows[1:]}
    assert by_mail["ada@example.org"] == ["ada@example.org", "Ada Lovelace", "0", "2", "2", "late"]
    assert by_mail["alan@example.org"][2:] == ["3", "2", "5", ""]
    assert any("4021" in n and "late" in n for n in notes)


def test_roster_gaps_keep_every_student(course, tmp_path):
    """Does a roster student without a submission get a 0 row with a note, and an unlisted one stay?"""
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"          # Canvas's own export
                      "    Points Possible,,,,\n"
                      "\"Lovelace, Ada\",4021,S1,ada,Sec A\n\"Hopper, Grace\",4099,S9,grace,Sec A\n")
    notes = []
    rows = read(export(course, to="-", fmt="canvas", roster=roster, notes=notes))
    by_id = {r[1]: r for r in rows[2:]}
    assert set(by_id) == {"4021", "4022", "4099"}
    assert by_id["4021"][:5] == ["Lovelace, Ada", "4021", "S1", "ada", "Sec A"]
    assert by_id["4099"][5:] == ["", "", "0"]
    assert any(n.startswith("4099: no submission") for n in notes)
    assert any(n.startswith("4022: has a submission but is not in the roster") for n in notes)


def test_plain_csv_is_unchanged(course):
    """Does the default export keep nbgrader's columns plus status and reason, one row per student?"""
    rows = list(csv.DictReader(io.StringIO(export(course, to="-"))))
    assert list(rows[0]) == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
                             "email", "raw_score", "late_submission_penalty", "score", "max_score", "status",
                             "reason"]
    assert {r["student_id"]: float(r["score"]) for r in rows} == {"4021": 2.0, "4022": 5.0}


def test_bad_roster_gets_a_clear_error(course, tmp_path):
    """Do a missing roster and one without an id column get errors naming the fix?"""
    with pytest.raises(LessonError, match="no such roster file"):
        export(course, to="-", fmt="canvas", roster=tmp_path / "nowhere.csv")
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAda,ada@example.org\n")
    with pytest.raises(LessonError, match="no student_id column.*add a column student_id"):
        export(course, to="-", fmt="moodle", roster=roster)


def test_export_command_writes_canvas_and_notes(course, tmp_path):
    """Does `course-grade export --format canvas` write the sheet and print the notes on stderr?"""
    out = subprocess.run([sys.executable, "-m", "autograder", "export", "--course-dir", str(course.root),
                          "--format", "canvas", "--assignment-id", f"{LESSON}=555", "--to",
                          str(tmp_path / "canvas.csv")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert f"{LESSON} (555)" in (tmp_path / "canvas.csv").read_text()
    assert "4021: 01_softmax was handed in late" in out.stderr
    bad = subprocess.run([sys.executable, "-m", "autograder", "export", "--course-dir", str(course.root),
                          "--format", "canvas", "--assignment-id", "01_softmax"], capture_output=True, text=True)
    assert bad.returncode != 0 and "expected LESSON=NUMBER" in bad.stderr


def test_gradebook_grades_without_a_course_grade_record_are_graded(course):
    """Is a submission graded into the gradebook by nbgrader itself (stock autograde, the formgrader), with
    no course-grade record, exported as graded with its score rather than as "no submission"?"""
    from autograder.export import GRADED_BY_NBGRADER

    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(export(course, to="-")))}
    assert (rows["4022"]["status"], rows["4022"]["reason"], rows["4022"]["score"]) == (
        "graded", GRADED_BY_NBGRADER, "5.0"), rows["4022"]
