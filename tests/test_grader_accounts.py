"""Grading works for any account and any install.

Before: for an instructor whose account is called `student`, every submission was a grader error
(`prlimit: failed to execute /home/student/dl-course/.venv/bin/python`): the sandbox put the kernel's
home at /home/student, over the grader's own environment. And a non-editable `pip install .` could not
grade (`'01' is not a lesson; lessons are: (none)`): it looked for lessons inside site-packages.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.coursedir import GradingCourse
from autograder.lessons import LessonError, resolve
from autograder.sandbox import HOME, OTHER_HOMES, SandboxError, kernel_home, support
from conftest import ROOT

LESSON = "01_softmax"
FIXTURES = ROOT / "autograder" / "fixtures" / LESSON
SUPPORT = support()


def test_the_kernel_home_moves_off_the_graders_own_folders():
    assert kernel_home([Path("/work/x/.venv"), Path("/usr/share/data")]) == HOME
    assert kernel_home([Path("/home/student/dl-course/.venv")]) == OTHER_HOMES[0]
    assert kernel_home([Path("/home")]) == OTHER_HOMES[1]
    with pytest.raises(SandboxError, match="install the course's environment elsewhere"):
        kernel_home([Path("/home"), Path("/opt")])


def test_a_course_folder_brings_its_own_lessons(tmp_path):
    """`--course-dir` with a solutions/ of its own: its lessons, not the installed package's."""
    (tmp_path / "solutions" / "01_mine").mkdir(parents=True)
    shutil.copyfile(ROOT / "solutions" / LESSON / f"{LESSON}.ipynb",
                    tmp_path / "solutions" / "01_mine" / "01_mine.ipynb")
    course = GradingCourse(tmp_path)
    assert course.lesson("01") == "01_mine"
    with pytest.raises(LessonError, match="give the course folder holding solutions/ with --course-dir"):
        resolve(["01"], root=tmp_path / "nothing-here")


@pytest.mark.notebooks
@pytest.mark.xdist_group("grader-accounts")
@pytest.mark.skipif(not (SUPPORT.bwrap and SUPPORT.root), reason="needs root and bubblewrap: "
                    + "; ".join(SUPPORT.problems))
def test_grading_with_the_environment_under_home_student(tmp_path):
    """The grader's venv at /home/student/venv (a bind mount in a private mount namespace; the folder
    is removed afterwards): a correct submission is graded, with every point."""
    venv = Path(sys.prefix)
    course = tmp_path / "course"
    (tmp_path / "in" / "ada").mkdir(parents=True)
    shutil.copyfile(FIXTURES / "correct.ipynb", tmp_path / "in" / "ada" / f"{LESSON}.ipynb")
    made = [] if Path("/home/student").exists() else ["/home/student"]
    script = (f"set -e; trap 'umount /home/student/venv; rmdir /home/student/venv {' '.join(made)}' EXIT; "
              f"mkdir -p /home/student/venv; mount --bind {venv} /home/student/venv; "
              "/home/student/venv/bin/python -c "
              "'import sys; assert sys.prefix == \"/home/student/venv\", sys.prefix'; "
              f"/home/student/venv/bin/python -m autograder collect {tmp_path / 'in'} {LESSON} --course-dir {course}; "
              f"/home/student/venv/bin/python -m autograder autograde {LESSON} --course-dir {course} --quiet; "
              f"/home/student/venv/bin/python -m autograder report {LESSON} --course-dir {course} --format csv")
    run = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                         capture_output=True, text=True, timeout=900, env=dict(os.environ))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    row = [ln for ln in run.stdout.splitlines() if ln.startswith("ada,")]
    assert row and ",graded," in row[0] and "grader error" not in run.stdout, run.stdout[-2000:]
    _, score, max_score, *_ = row[0].split(",")
    assert float(score) == float(max_score) > 0, row
    assert not Path("/home/student/venv").exists()
