"""The per-submission status table of a lesson: score, status and reason for every student."""

from __future__ import annotations

import csv
import io
import textwrap
from collections import Counter

from autograder import status as st
from autograder.collect import skipped_students

NOT_GRADED_YET = "not graded yet"


def rows(course, lesson):
    """One dict per student (student, score, max_score, status, reason, reasons), sorted by student."""
    results = {}
    folder = course.state / "results" / lesson
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            result = st.Result.load(path)
            if result is not None:
                results[result.student] = result
    skipped = skipped_students(course, lesson)
    students = sorted(set(results) | set(skipped) | set(course.students(lesson)))
    out = []
    for student in students:
        if student in results:
            r = results[student]
            row = {"student": student, "score": r.score, "max_score": r.max_score, "status": r.status,
                   "reasons": r.reasons}
        elif student in skipped:
            row = {"student": student, "score": 0.0, "max_score": None, "status": st.NOT_COLLECTED,
                   "reasons": [skipped[student]]}
        else:
            row = {"student": student, "score": None, "max_score": None, "status": NOT_GRADED_YET,
                   "reasons": [f"run `course-grade autograde {lesson}`"]}
        row["reason"] = "; ".join(row["reasons"])
        out.append(row)
    return out


def _score(row):
    if row["score"] is None:
        return "-"
    return f"{row['score']:g}/{row['max_score']:g}" if row["max_score"] is not None else f"{row['score']:g}"


def as_text(rows_, width=100):
    """A plain-text table: one line per student, then each reason on its own line below it."""
    if not rows_:
        return "no submissions: collect some first (`course-grade collect SOURCE LESSON`)"
    w_student = max(7, *(len(r["student"]) for r in rows_))
    w_score = max(5, *(len(_score(r)) for r in rows_))
    lines = [f"{'student':<{w_student}}  {'score':>{w_score}}  status", "-" * width]
    for r in rows_:
        lines.append(f"{r['student']:<{w_student}}  {_score(r):>{w_score}}  {r['status']}")
        for reason in r["reasons"]:
            wrapped = textwrap.wrap(reason, width - 8) or [""]
            lines.append("    - " + wrapped[0])
            lines += ["      " + more for more in wrapped[1:]]
    counts = Counter(r["status"] for r in rows_)
    lines += ["", ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1]))]
    return "\n".join(lines)


def as_csv(rows_):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["student", "score", "max_score", "status", "reason"],
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows_)
    return buf.getvalue()
