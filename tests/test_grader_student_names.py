"""The gradebook names its students: the formgrader lists names (or ids), never "None, None"."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

from autograder.batch import name_student, student_names


def test_names_come_from_the_lms_or_the_id():
    """Is a Moodle full name split into first and last, a one-word name the last name, and the id the fallback?"""
    assert student_names("4711", "Ada  King Lovelace") == ("Ada King", "Lovelace")
    assert student_names("93", "lovelaceada") == ("", "lovelaceada")
    assert student_names("alice") == ("", "alice")
    assert student_names("alice", "  ") == ("", "alice")


def course_in(tmp_path, log):
    (tmp_path / "collect.json").write_text(json.dumps(log))
    return SimpleNamespace(db_url=f"sqlite:///{tmp_path / 'gradebook.db'}", course_id="course",
                           collect_log=lambda lesson: tmp_path / "collect.json")


def test_students_enter_the_gradebook_with_a_name(tmp_path, monkeypatch):
    """Does each graded student get a name in nbgrader's gradebook (from collect's LMS record, else the id),
    and is a name the instructor gave kept?"""
    from nbgrader.api import Gradebook

    # nbgrader runs this environment's `alembic` when it creates a gradebook (the grader puts it on PATH too)
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    course = course_in(tmp_path, {"4711": {"action": "taken", "lms": {"lms": "moodle", "lms_id": "4711",
                                                                      "lms_name": "Ada Lovelace", "late": False}},
                                  "bob": {"action": "taken"}})
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.add_student("carol", first_name="Carol", last_name="Shaw")
        gb.add_student("dave")   # created by an earlier nbgrader autograde: ids only
    for student in ("4711", "bob", "carol", "dave"):
        name_student(course, "01_softmax", student)
    name_student(course, "01_softmax", "4711")   # a second grading changes nothing
    with Gradebook(course.db_url, course.course_id) as gb:
        names = {s.id: (s.first_name, s.last_name) for s in gb.students}
    assert names == {"4711": ("Ada", "Lovelace"), "bob": ("", "bob"), "carol": ("Carol", "Shaw"),
                     "dave": ("", "dave")}
