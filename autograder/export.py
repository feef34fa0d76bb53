"""Export the grades: nbgrader's own CSV (one row per student and lesson), plus a status and reason.

Students whose submission could not be collected (wrong name, not a notebook...) are added with
a score of zero, so that nobody silently disappears from the grade sheet.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from autograder import status as st
from autograder.collect import skipped_students
from autograder.lessons import LessonError

NO_SUBMISSION = "no submission"
FORMATS = ("csv",)


def export_rows(course):
    """Rows of nbgrader's CSV export, each with 'status' and 'reason' added."""
    if not course.db_path.exists():
        raise LessonError(f"no gradebook at {course.db_path}: run `course-grade autograde LESSON` first")
    with tempfile.TemporaryDirectory(prefix="course-grade-export-") as tmp:
        dest = Path(tmp) / "grades.csv"
        course.nbgrader("export", f"--to={dest}", "--log-level=WARN")
        rows = list(csv.DictReader(io.StringIO(dest.read_text())))
    lessons = sorted({r["assignment"] for r in rows})
    max_scores = {r["assignment"]: r["max_score"] for r in rows}
    seen = {(r["assignment"], r["student_id"]) for r in rows}
    for lesson in lessons:
        skipped = skipped_students(course, lesson)
        for row in rows:
            if row["assignment"] != lesson:
                continue
            result = st.Result.load(course.result_path(row["student_id"], lesson))
            if result is not None and course.submitted(row["student_id"], lesson).exists():
                row["status"], row["reason"] = result.status, result.reason
            elif row["student_id"] in skipped:
                row["status"], row["reason"] = st.NOT_COLLECTED, skipped[row["student_id"]]
            else:
                row["status"], row["reason"] = NO_SUBMISSION, ""
        for student, reason in skipped.items():
            if (lesson, student) not in seen:
                rows.append({"assignment": lesson, "duedate": "", "timestamp": "", "student_id": student,
                             "last_name": "", "first_name": "", "email": "", "raw_score": "0.0",
                             "late_submission_penalty": "0.0", "score": "0.0",
                             "max_score": max_scores[lesson], "status": st.NOT_COLLECTED,
                             "reason": reason})
    rows.sort(key=lambda r: (r["assignment"], r["student_id"]))
    return rows


def export(course, to=None, fmt="csv"):
    """Write the grades to ``to`` (default <course>/grading/grades.csv; '-': return the text instead)."""
    if fmt not in FORMATS:
        raise LessonError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    rows = export_rows(course)
    fields = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
              "raw_score", "late_submission_penalty", "score", "max_score", "status", "reason"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    if to == "-":
        return buf.getvalue()
    if to:
        path = Path(to)
    else:
        course.make_state()
        path = course.state / "grades.csv"
    path.write_text(buf.getvalue())
    return path
