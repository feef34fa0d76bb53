"""Export the grades: nbgrader's own CSV (one row per student and lesson), plus a status and reason.

Students whose submission could not be collected (wrong name, not a notebook...) are added with
a score of zero, and so are those graded without a gradebook entry (the grader failed on them:
their status says why), so that nobody silently disappears from the grade sheet.
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
    results_dir = course.state / "results"
    graded = sorted(p.name for p in results_dir.iterdir() if p.is_dir()) if results_dir.is_dir() else []
    lessons = sorted({r["assignment"] for r in rows} | set(graded))
    max_scores = {r["assignment"]: r["max_score"] for r in rows}
    seen = {(r["assignment"], r["student_id"]) for r in rows}
    for lesson in lessons:
        for path in sorted((results_dir / lesson).glob("*.json")):
            result = st.Result.load(path)
            if (result is None or (lesson, result.student) in seen
                    or not course.submitted(result.student, lesson).exists()):
                continue
            maximum = max_scores.get(lesson) or ("" if result.max_score is None else str(result.max_score))
            rows.append(_zero_row(lesson, result.student, maximum, result.status, result.reason))
            seen.add((lesson, result.student))
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
                rows.append(_zero_row(lesson, student, max_scores.get(lesson, ""), st.NOT_COLLECTED, reason))
    rows.sort(key=lambda r: (r["assignment"], r["student_id"]))
    return rows


def _zero_row(lesson, student, max_score, status, reason):
    return {"assignment": lesson, "duedate": "", "timestamp": "", "student_id": student, "last_name": "",
            "first_name": "", "email": "", "raw_score": "0.0", "late_submission_penalty": "0.0",
            "score": "0.0", "max_score": max_score, "status": status, "reason": reason}


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
