"""Collecting submissions: what is taken, what is skipped and why, and nothing overwritten silently."""

import json
import subprocess
import sys
import zipfile

import pytest

from autograder.collect import REPLACED, SKIPPED, TAKEN, UNCHANGED, collect, lms_records, skipped_students
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
    # Canvas names: the student is the Canvas user id (the number after the sortable name)
    assert out["12345"].action == TAKEN and out["23456"].action == TAKEN
    assert course.submitted("23456", LESSON).read_bytes() == OTHER
    assert "wrong notebook name" in out["34567"].reason
    assert "not a notebook" in out["45678"].reason
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


# Canvas and Moodle downloads


def test_canvas_zip_files_under_the_user_id_and_keeps_late(tmp_path, course):
    """Is a Canvas file filed under the Canvas user id (not 'lovelaceada'), with its LATE flag kept?"""
    src = tmp_path / "submissions.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(f"lovelaceada_LATE_4021_998877_{LESSON}.ipynb", NOTEBOOK)
        z.writestr(f"turingalan_4022_998878_{LESSON}-1.ipynb", OTHER)
    out = by_student(collect(course, src, LESSON))
    assert set(out) == {"4021", "4022"} and all(o.action == TAKEN for o in out.values())
    assert course.submitted("4021", LESSON).read_bytes() == NOTEBOOK
    assert out["4021"].lms == {"lms": "canvas", "lms_id": "4021", "lms_name": "lovelaceada", "late": True}
    assert out["4022"].lms["late"] is False
    assert lms_records(course, LESSON)["4021"]["late"] is True   # kept in the collect log for the export
    # the sortable name instead, on request
    named = by_student(collect(GradingCourse(tmp_path / "other"), src, LESSON, id_from="name"))
    assert set(named) == {"lovelaceada", "turingalan"}


def test_canvas_late_is_shown_by_the_collect_command(tmp_path):
    """Does `course-grade collect` mark a late Canvas submission as late?"""
    src = tmp_path / "submissions.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(f"lovelaceada_LATE_4021_998877_{LESSON}.ipynb", NOTEBOOK)
    out = subprocess.run([sys.executable, "-m", "autograder", "collect", str(src), "01",
                          "--course-dir", str(tmp_path / "course")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "taken     4021" in out.stdout and "(late)" in out.stdout


def moodle_folder(name):
    return f"{name}_assignsubmission_file_"


def test_moodle_zip_of_student_folders_files_under_the_participant_id(tmp_path, course):
    """Are Moodle's '<Full Name>_<id>_assignsubmission_file_' folders filed under the participant id?"""
    src = tmp_path / "moodle.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(f"{moodle_folder('Ada Lovelace_1357')}/{LESSON}.ipynb", NOTEBOOK)
        z.writestr(f"{moodle_folder('Alan Turing_2468')}/{LESSON}.ipynb", OTHER)
        z.writestr(f"{moodle_folder('Grace Hopper')}/{LESSON}.ipynb", NOTEBOOK)   # a name with no id
    outcomes = collect(course, src, LESSON)
    out = by_student(outcomes)
    assert out["1357"].action == TAKEN and out["2468"].action == TAKEN
    assert course.submitted("2468", LESSON).read_bytes() == OTHER
    assert out["1357"].lms["lms_name"] == "Ada Lovelace" and out["1357"].lms["lms"] == "moodle"
    assert "no participant id" in out[None].reason and "download the submissions again" in out[None].reason
    named = by_student(collect(GradingCourse(tmp_path / "other"), src, LESSON, id_from="name"))
    assert {"Ada_Lovelace", "Alan_Turing"} <= set(named)


def test_one_moodle_student_is_not_taken_for_packaging(tmp_path, course):
    """Is a Moodle zip with a single student's folder still read as that student's?"""
    src = tmp_path / "moodle.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(f"{moodle_folder('Ada Lovelace_1357')}/{LESSON}.ipynb", NOTEBOOK)
    assert by_student(collect(course, src, LESSON))["1357"].action == TAKEN


def test_moodle_and_canvas_files_loose_in_a_folder(tmp_path, course):
    """Are LMS-named files loose in an unpacked download read too, and --pattern applied to loose files?"""
    src = folder(tmp_path, {f"{moodle_folder('Ada Lovelace_1357')}{LESSON}.ipynb": NOTEBOOK,
                            f"turingalan_LATE_4022_1_{LESSON}.ipynb": OTHER,
                            f"alice/{LESSON}.ipynb": NOTEBOOK, "notes.txt": b"hello"})
    out = by_student(collect(course, src, LESSON))
    assert {s: o.action for s, o in out.items() if s} == {"1357": TAKEN, "4022": TAKEN, "alice": TAKEN}
    assert out["4022"].lms["late"] is True
    assert "not in a student's folder" in out[None].reason
    loose = folder(tmp_path / "p", {f"s1234 - {LESSON}.ipynb": NOTEBOOK})
    out = by_student(collect(GradingCourse(tmp_path / "c2"), loose, LESSON, pattern=r"(?P<student>\w+) - .+"))
    assert out["s1234"].action == TAKEN


def test_bad_zip_and_bad_pattern_get_clear_errors(tmp_path, course):
    """Do a damaged .zip and a pattern without a 'student' group get errors naming the fix?"""
    bad = tmp_path / "submissions.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(LessonError, match="not a zip file, or a damaged one.*download the submissions again"):
        collect(course, bad, LESSON)
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as z:
        z.writestr(f"alice_1_2_{LESSON}.ipynb", NOTEBOOK)
    with pytest.raises(LessonError, match="no 'student' group"):
        collect(course, good, LESSON, pattern=r"(\w+)_.*")
    with pytest.raises(LessonError, match="not a regular expression"):
        collect(course, good, LESSON, pattern=r"(?P<student>[")
