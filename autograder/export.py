"""Export the grades: nbgrader's CSV (one row per student and lesson), plus a status and reason.

The rows are read from the gradebook with nbgrader's own API, so every grade in it counts, whoever
wrote it: ``course-grade autograde``, stock ``nbgrader autograde`` or the formgrader. A submission
graded by nbgrader itself has the status "graded" and says so in its reason.

Students whose submission could not be collected (wrong name, not a notebook...) are added with
a score of zero, and so are those graded without a gradebook entry (the grader failed on them:
their status says why), so that nobody silently disappears from the grade sheet.

``--format canvas`` and ``--format moodle`` write one row per student instead, with one column per
graded cell (``<lesson>: <grade_id>``, its maximum in Canvas's "Points Possible" row) and the
lesson's total, in the CSV layout each LMS imports (see ``autograder.lms``). Who the student is in the
LMS comes from a roster (``roster=``, a CSV mapping the course's ids to the LMS's) and, for
submissions collected from a Canvas or Moodle download, from the collect log. A roster student with
no submission gets a row (total 0, cells blank) and a note; a student with a submission but no roster
entry is kept and noted.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from autograder import lms
from autograder import status as st
from autograder.collect import lms_records, skipped_students
from autograder.lessons import LessonError

NO_SUBMISSION = "no submission"
GRADED_BY_NBGRADER = "graded by nbgrader (not by course-grade autograde)"
FORMATS = ("csv", "canvas", "moodle")


def gradebook_rows(course):
    """nbgrader's CSV export rows (``nbgrader export``), read from the gradebook with nbgrader's API.

    One row per lesson and student of the gradebook, whoever graded it (``course-grade autograde``, stock
    ``nbgrader autograde`` or the formgrader); a student without a submission scores 0, as in nbgrader's
    CSV. Also returns the (lesson, student) pairs that have a submission in the gradebook.
    """
    from nbgrader.api import Gradebook

    def text(value):
        return "" if value is None else str(value)

    rows, submitted = [], set()
    with Gradebook(course.db_url, course.course_id) as gb:
        students = gb.students
        for assignment in gb.assignments:
            by_student = {sub.student.id: sub for sub in assignment.submissions}
            for student in students:
                row = {"assignment": assignment.name, "duedate": text(assignment.duedate),
                       "student_id": student.id, "last_name": text(student.last_name),
                       "first_name": text(student.first_name), "email": text(student.email),
                       "max_score": text(assignment.max_score)}
                sub = by_student.get(student.id)
                if sub is None:
                    row.update(timestamp="", raw_score="0.0", late_submission_penalty="0.0", score="0.0")
                else:
                    submitted.add((assignment.name, student.id))
                    penalty = sub.late_submission_penalty or 0.0
                    row.update(timestamp=text(sub.timestamp), raw_score=text(sub.score),
                               late_submission_penalty=text(penalty), score=text(max(0.0, sub.score - penalty)))
                rows.append(row)
    return rows, submitted


def export_rows(course):
    """Rows of nbgrader's CSV export, each with 'status' and 'reason' added."""
    if not course.db_path.exists():
        raise LessonError(f"no gradebook at {course.db_path}: run `course-grade autograde LESSON` first")
    rows, in_gradebook = gradebook_rows(course)
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
            elif (lesson, row["student_id"]) in in_gradebook:
                # graded by nbgrader itself (stock `nbgrader autograde`, the formgrader): no course-grade record
                row["status"], row["reason"] = st.GRADED, GRADED_BY_NBGRADER
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


def question_scores(course):
    """Per-question scores from the gradebook.

    Returns ({lesson: [(grade_id, max points), ...]}, {(lesson, student): {grade_id: score}}).
    """
    from nbgrader.api import Gradebook

    cells, scores = {}, {}
    with Gradebook(course.db_url, course.course_id) as gb:
        for assignment in gb.assignments:
            cells[assignment.name] = [(c.name, c.max_score) for nb in assignment.notebooks
                                      for c in sorted(nb.grade_cells, key=lambda c: c.name)]
            for sub in assignment.submissions:
                scores[(assignment.name, sub.student.id)] = {g.name: g.score for nb in sub.notebooks
                                                             for g in nb.grades}
    return cells, scores


def wide_table(course, roster=None, notes=None):
    """One row per student: the roster's LMS fields, then per lesson one column per graded cell and the total.

    Returns (table, items, points, late): ``items`` the score columns in order, ``points`` their
    maxima, ``late`` {(lesson, student): True} for late Canvas submissions. ``notes`` (a list) gets a
    line for each student whose row is incomplete: no submission, not in the roster, not collected.
    """
    notes = [] if notes is None else notes
    rows = export_rows(course)
    cells, scores = question_scores(course)
    lessons = sorted({r["assignment"] for r in rows} | set(cells))
    people = lms.load_roster(roster) if roster else None
    seen = {r["student_id"] for r in rows}
    records = {lesson: lms_records(course, lesson) for lessons_ in [lessons] for lesson in lessons_}
    students = sorted(seen | (set(people.index) if people is not None else set()))
    table = pd.DataFrame({"student_id": students}).set_index("student_id", drop=False)
    for field in lms.FIELDS[1:]:
        table[field] = ""
    if people is not None:
        table.update(people.drop(columns="student_id"))
        for student in sorted(seen - set(people.index)):
            notes.append(f"{student}: has a submission but is not in the roster {roster}; kept, with the ids "
                         "collect knows (add the student to the roster to give the LMS's ids)")
    for lesson in lessons:   # what a Canvas/Moodle download said fills what the roster left blank
        for student, rec in records[lesson].items():
            if student not in table.index:
                continue
            if not table.at[student, "name"]:
                table.at[student, "name"] = rec.get("lms_name", "")
            if rec.get("lms") == "canvas" and not table.at[student, "canvas_id"]:
                table.at[student, "canvas_id"] = rec.get("lms_id", "")
    by_key = {(r["assignment"], r["student_id"]): r for r in rows}
    items, points, late = [], {}, {}
    for lesson in lessons:
        lesson_items = [(f"{lesson}: {gid}", gid, mx) for gid, mx in cells.get(lesson, [])]
        total = max((float(r["max_score"]) for r in rows if r["assignment"] == lesson and r["max_score"]),
                    default=sum(mx for _, _, mx in lesson_items))
        for column, _, mx in lesson_items:
            items.append(column)
            points[column] = mx
        items.append(lesson)
        points[lesson] = total
        for column in [c for c, _, _ in lesson_items] + [lesson]:
            table[column] = ""
        for student in students:
            row, got = by_key.get((lesson, student)), scores.get((lesson, student))
            graded = row is not None and got is not None and row.get("status") != st.NOT_COLLECTED
            for column, gid, _ in lesson_items:
                table.at[student, column] = f"{got.get(gid, 0) or 0:g}" if graded else ""
            table.at[student, lesson] = f"{float(row['score'] or 0):g}" if row is not None else "0"
            if row is None:
                notes.append(f"{student}: no submission of {lesson} (in the roster): total 0, cells blank")
            elif not graded:
                notes.append(f"{student}: {lesson} {row.get('status') or 'not graded'}"
                             + (f" ({row['reason']})" if row.get("reason") else "") + ": total "
                             f"{table.at[student, lesson]}, cells blank")
            if records[lesson].get(student, {}).get("late"):
                late[(lesson, student)] = True
                notes.append(f"{student}: {lesson} was handed in late (Canvas marked it LATE)")
    return table, items, points, late


def export(course, to=None, fmt="csv", roster=None, assignment_ids=None, identifier="email", notes=None):
    """Write the grades to ``to`` (default <course>/grading/grades.csv; '-': return the text instead).

    ``fmt``: ``csv`` (nbgrader's CSV with a status and reason, one row per student and lesson),
    ``canvas`` or ``moodle`` (one row per student, per-question columns and totals; see ``wide_table``).
    ``assignment_ids``: {lesson: Canvas assignment id}; ``identifier``: the Moodle column that names the
    user (email, idnumber or username, from the roster). ``notes`` (a list) gets the incomplete rows.
    """
    if fmt not in FORMATS:
        raise LessonError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    if fmt != "csv":
        notes = [] if notes is None else notes
        table, items, points, late = wide_table(course, roster, notes)
        if fmt == "canvas":
            # Canvas imports every unknown column as a new assignment: late submissions go in the notes
            text = lms.canvas_sheet(table, items, points, assignment_ids or {})
            default = "grades-canvas.csv"
        else:
            late_cols = sorted({f"{lesson} late" for lesson, _ in late})
            for column in late_cols:
                table[column] = ""
            for (lesson, student) in late:
                table.at[student, f"{lesson} late"] = "late"
            missing = table.index[table[identifier] == ""] if identifier in table.columns else table.index
            for student in missing:
                notes.append(f"{student}: no {identifier} in the roster: Moodle cannot match this row (add a "
                             f"roster with student_id,{identifier})")
            text = lms.moodle_sheet(table, items + late_cols, identifier)
            default = "grades-moodle.csv"
        return _write(course, to, text, default)
    rows = export_rows(course)
    fields = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
              "raw_score", "late_submission_penalty", "score", "max_score", "status", "reason"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return _write(course, to, buf.getvalue(), "grades.csv")


def _write(course, to, text, default):
    if to == "-":
        return text
    if to:
        path = Path(to)
    else:
        course.make_state()
        path = course.state / default
    path.write_text(text)
    return path
