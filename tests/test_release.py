"""The instructor's release command: clear errors on bad input, and nobody's work overwritten."""

import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import lessons as lessons_module
from autograder import release as release_module
from autograder.lessons import LessonError, lesson_ids, read_notebook, resolve
from conftest import ROOT

FIRST = lesson_ids()[0]


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A copy of the first lesson's solution in a scratch course, with lessons/ released there."""
    solutions, released = tmp_path / "solutions", tmp_path / "lessons"
    shutil.copytree(ROOT / "solutions" / FIRST, solutions / FIRST)
    monkeypatch.setattr(lessons_module, "SOLUTIONS", solutions)
    monkeypatch.setattr(release_module, "solution_path", lambda lesson: solutions / lesson / f"{lesson}.ipynb")
    monkeypatch.setattr(lessons_module, "lesson_ids", lambda root=solutions: sorted(
        p.name for p in solutions.iterdir() if (p / f"{p.name}.ipynb").is_file()))
    # nbgrader reads solutions from the configured source folder: point it at the scratch copy
    real = release_module.nbgrader
    monkeypatch.setattr(release_module, "nbgrader", lambda *args: real(
        *args, f"--CourseDirectory.source_directory={solutions}"))
    return solutions, released


def test_release_creates_then_reports_unchanged(course):
    """Does a first release create the lesson and a second one leave it unchanged?"""
    _, released = course
    assert release_module.release(release_dir=released, log=lambda s: None) == {FIRST: "new"}
    notebook = released / FIRST / f"{FIRST}.ipynb"
    assert notebook.is_file()
    assert release_module.release(release_dir=released, log=lambda s: None) == {FIRST: "unchanged"}


def test_release_refuses_to_overwrite_a_students_work(course):
    """Is a lesson notebook with executed cells kept (and the user told) unless --force is given?"""
    _, released = course
    release_module.release(release_dir=released, log=lambda s: None)
    notebook = released / FIRST / f"{FIRST}.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.execution_count = 1
    code.outputs = [nbformat.v4.new_output("stream", text="my work")]
    nbformat.write(nb, notebook)
    work = notebook.read_bytes()
    with pytest.raises(LessonError, match=r"(?s)hold executed cells.*--force"):
        release_module.release(release_dir=released, log=lambda s: None)
    assert notebook.read_bytes() == work
    assert release_module.release(release_dir=released, force=True, log=lambda s: None) == {FIRST: "updated"}
    assert notebook.read_bytes() != work


def test_corrupt_solution_notebook_is_named(course):
    """Does a solution notebook that is not valid JSON get an error naming it, before nbgrader runs?"""
    solutions, released = course
    path = solutions / FIRST / f"{FIRST}.ipynb"
    path.write_text('{"cells": [')
    with pytest.raises(LessonError, match=rf"{FIRST}.ipynb: not a valid notebook.*git checkout"):
        release_module.release(release_dir=released, log=lambda s: None)
    assert not (released / FIRST).exists()


def test_read_notebook_rejects_a_non_notebook(tmp_path):
    """Is JSON that is not a notebook rejected with the file's name?"""
    path = tmp_path / "x.ipynb"
    path.write_text('{"hello": 1}')
    with pytest.raises(LessonError, match="x.ipynb"):
        read_notebook(path)
    with pytest.raises(LessonError, match="not found"):
        read_notebook(tmp_path / "missing.ipynb")


def test_lesson_names_resolve_by_prefix():
    """Does a unique prefix select a lesson, and an unknown name list the real ones?"""
    assert resolve([FIRST[:2]]) == [FIRST]
    assert resolve([]) == lesson_ids()
    with pytest.raises(LessonError, match=rf"not a lesson; lessons are: {FIRST}"):
        resolve(["99_nothing"])


def test_cli_help_and_errors():
    """Does course-grade answer --help, and report an unknown lesson with exit code 1?"""
    run = [sys.executable, "-m", "autograder"]
    out = subprocess.run(run + ["release", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "regenerate" in out.stdout.lower()
    out = subprocess.run(run + ["release", "99_nothing"], capture_output=True, text=True)
    assert out.returncode == 1 and "not a lesson" in out.stderr
