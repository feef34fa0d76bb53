"""Collecting submissions: what is taken, what is skipped and why, and nothing overwritten silently."""

import json
import subprocess
import sys
import zipfile

import pytest

from autograder.collect import REPLACED, SKIPPED, TAKEN, UNCHANGED, collect, skipped_students
from autograder.coursedir import GradingCourse
from autograder.lessons import LessonError
from conftest import ROOT

LESSON = "01_softmax"
FIXTURES = ROOT / "autograder" / "fixtures" / LESSON
NOTEBOOK = (FIXTURES / "correct.ipynb").read_bytes()
OTHER = (FIXTURES / "partial.ipynb").read_bytes()


@pytest.fixture
def course(tmp_path):
    return GradingCourse(tmp_path / "course")


def by_student(outcomes):
    return {o.student: o for o in outcomes}


def folder(tmp_path, files):
    """A folder of per-student folders: {"alice/01_softmax.ipynb": bytes, ...}."""
    src = tmp_path / "download"
    for name, data in files.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return src


def test_folder_of_student_folders_is_filed_for_nbgrader(tmp_path, course):
    """Are per-student folders (flat or nbgrader-style nested) filed as submitted/<id>/<lesson>/?"""
    src = folder(tmp_path, {f"alice/{LESSON}.ipynb": NOTEBOOK, f"bob/{LESSON}/{LESSON}.ipynb": OTHER})
    out = by_student(collect(course, src, LESSON))
    assert {s: o.action for s, o in out.items()} == {"alice": TAKEN, "bob": TAKEN}
    assert course.submitted("alice", LESSON).read_bytes() == NOTEBOOK
    assert course.submitted("bob", LESSON).read_bytes() == OTHER


def test_bad_files_are_skipped_with_the_reason(tmp_path, course):
    """Are a wrong notebook name, a non-notebook, a duplicate and a loose file skipped, each explained?"""
    src = folder(tmp_path, {"carol/Untitled.ipynb": NOTEBOOK,
                            f"dave/{LESSON}.pdf": b"%PDF-1.4",
                            f"erin/{LESSON}.ipynb": NOTEBOOK, f"erin/{LESSON}/{LESSON}.ipynb": OTHER,
                            "notes.txt": b"hello"})
    outcomes = collect(course, src, LESSON)
    out = by_student(outcomes)
    assert out["carol"].action == SKIPPED and "wrong notebook name" in out["carol"].reason
    assert "expected 01_softmax.ipynb, found Untitled.ipynb" in out["carol"].reason
    assert out["dave"].action == SKIPPED and "not a notebook" in out["dave"].reason
    assert out["erin"].action == SKIPPED and "duplicate" in out["erin"].reason
    assert out[None].source == "notes.txt" and "not in a student's folder" in out[None].reason
    assert course.students(LESSON) == []
    assert skipped_students(course, LESSON).keys() == {"carol", "dave", "erin"}


def test_lms_zip_takes_the_student_id_from_the_file_name(tmp_path, course):
    """Does a Canvas-style zip (one file per student) give each file to the right student?"""
    src = tmp_path / "submissions.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(f"alice_12345_678_{LESSON}.ipynb", NOTEBOOK)
        z.writestr(f"bob_23456_789_{LESSON}-1.ipynb", OTHER)      # a resubmission suffix
        z.writestr("carol_34567_890_homework.ipynb", NOTEBOOK)
        z.writestr(f"dave_45678_901_{LESSON}.py", b"print(1)")
        z.writestr(f"{LESSON}.ipynb", NOTEBOOK)                     # no student id at all
    out = by_student(collect(course, src, LESSON))
    assert out["alice"].action == TAKEN and out["bob"].action == TAKEN
    assert course.submitted("bob", LESSON).read_bytes() == OTHER
    assert "wrong notebook name" in out["carol"].reason
    assert "not a notebook" in out["dave"].reason
    assert "no student id in the file name" in out[None].reason and "--pattern" in out[None].reason


def test_zip_pattern_option_reads_other_names(tmp_path, course):
    """Can --pattern read ids from another naming scheme (e.g. '<lesson> - <id>.ipynb')?"""
    src = tmp_path / "moodle.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(f"{LESSON} - s1234.ipynb", NOTEBOOK)
    out = by_student(collect(course, src, LESSON, pattern=r".* - (?P<student>\w+)\.ipynb"))
    assert out["s1234"].action == SKIPPED and "wrong notebook name" in out["s1234"].reason
    out = by_student(collect(course, src, LESSON, pattern=r"(?P<student>.+)"))  # a nonsense pattern
    assert all(o.action == SKIPPED for o in out.values())


def test_zip_paths_cannot_escape(tmp_path, course):
    """Is a zip entry with '..' in its path refused instead of written outside the course?"""
    src = tmp_path / "evil.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(f"../../mallory/{LESSON}.ipynb", NOTEBOOK)
    outcomes = collect(course, src, LESSON)
    assert [o.reason for o in outcomes] == ["unsafe path in the zip"]
    assert not (tmp_path / "mallory").exists() and course.students(LESSON) == []


def test_collect_never_overwrites_silently(tmp_path, course):
    """Is a different resubmission refused without --replace, and the old one kept with it?"""
    collect(course, folder(tmp_path / "1", {f"alice/{LESSON}.ipynb": NOTEBOOK}), LESSON)
    same = by_student(collect(course, folder(tmp_path / "2", {f"alice/{LESSON}.ipynb": NOTEBOOK}), LESSON))
    assert same["alice"].action == UNCHANGED
    newer = folder(tmp_path / "3", {f"alice/{LESSON}.ipynb": OTHER})
    refused = by_student(collect(course, newer, LESSON))
    assert refused["alice"].action == SKIPPED and "--replace" in refused["alice"].reason
    assert course.submitted("alice", LESSON).read_bytes() == NOTEBOOK
    assert skipped_students(course, LESSON) == {}   # alice still has a submission: not "not collected"
    replaced = by_student(collect(course, newer, LESSON, replace=True))
    assert replaced["alice"].action == REPLACED
    assert course.submitted("alice", LESSON).read_bytes() == OTHER
    backups = list((course.state / "replaced" / LESSON).glob("alice-*.ipynb"))
    assert [b.read_bytes() for b in backups] == [NOTEBOOK]


def test_unusable_source_gets_a_clear_error(tmp_path, course):
    """Do a missing source and a file that is neither folder nor zip get errors naming them?"""
    with pytest.raises(LessonError, match="no such file or folder"):
        collect(course, tmp_path / "nowhere", LESSON)
    bad = tmp_path / "grades.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(LessonError, match="neither a folder nor a zip"):
        collect(course, bad, LESSON)


def test_collect_command_reports_taken_and_skipped(tmp_path):
    """Does `course-grade collect` print each student's outcome and a summary line?"""
    src = folder(tmp_path, {f"alice/{LESSON}.ipynb": NOTEBOOK, "bob/Untitled.ipynb": NOTEBOOK})
    out = subprocess.run([sys.executable, "-m", "autograder", "collect", str(src), "01",
                          "--course-dir", str(tmp_path / "course")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "taken     alice" in out.stdout and "skipped   bob" in out.stdout
    assert "wrong notebook name" in out.stdout and "1 taken, 0 replaced, 0 unchanged, 1 skipped" in out.stdout
    log = json.loads((tmp_path / "course" / "grading" / "collect" / f"{LESSON}.json").read_text())
    assert log["bob"]["action"] == SKIPPED
