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
import tempfile
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


def _views_for(paths, work):
    """Shell lines that, in a private mount namespace, make each of `paths` reachable by another user
    without changing a permission on disk: a folder that others cannot enter (e.g. /root, 0700, holding
    the Python the venv points at) is covered by a 0755 folder holding bind mounts of just the entries
    on those paths."""
    blocked = {}
    for path in paths:
        path = Path(path).resolve()
        for parent in reversed(path.parents):
            if parent != Path("/") and not parent.stat().st_mode & 0o001:
                child = parent / path.relative_to(parent).parts[0]
                deeper = [p for p in [*reversed(path.parents), path] if child in (p, *p.parents) and p != path]
                closed = [p for p in deeper if not p.stat().st_mode & 0o001]
                assert not closed, f"{path}: {closed} is closed to others too; install the venv elsewhere"
                blocked.setdefault(parent, set()).add(child.name)
                break
    lines = []
    for i, (parent, children) in enumerate(sorted(blocked.items())):
        view = work / f"view{i}"
        lines.append(f"mkdir -p {view}; chmod 755 {view}")
        for j, child in enumerate(sorted(children)):
            stage = work / f"stage{i}_{j}"
            lines += [f"mkdir -p {stage} {view / child}", f"mount --rbind {parent / child} {stage}",
                      f"mount --rbind {stage} {view / child}"]
        lines.append(f"mount --rbind {view} {parent}")
    return lines


@pytest.mark.notebooks
@pytest.mark.xdist_group("grader-accounts")
@pytest.mark.skipif(not (SUPPORT.bwrap and SUPPORT.root), reason="needs root (to make the account) and "
                    "bubblewrap: " + "; ".join(SUPPORT.problems))
def test_grading_as_an_ordinary_account_named_student():
    """A real non-root run, by a user named `student` whose venv is /home/student/dl-course/.venv: the
    sandbox runs in its degraded mode (no cgroups, the kernel under the grader's own uid), says so, and
    a correct submission gets every point. The account is made for the test and removed after it, unless
    it existed; nothing on disk changes permission (see _views_for)."""
    made_user = subprocess.run(["id", "student"], capture_output=True).returncode != 0
    if made_user:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", "student"], check=True)
    work = Path(tempfile.mkdtemp(prefix="course-grade-student-"))
    try:
        shutil.chown(work, "student")
        (work / "in" / "ada").mkdir(parents=True)
        shutil.copyfile(FIXTURES / "correct.ipynb", work / "in" / "ada" / f"{LESSON}.ipynb")
        subprocess.run(["chown", "-R", "student", str(work)], check=True)
        home = Path("/home/student")
        venv = home / "dl-course" / ".venv"
        made_venv = [d for d in (home / "dl-course", venv) if not d.exists()]
        python = venv / "bin" / "python"
        grade = (f"cd {work}; {python} -m autograder collect in {LESSON} --course-dir course && "
                 f"{python} -m autograder autograde {LESSON} --course-dir course --quiet && "
                 f"{python} -m autograder report {LESSON} --course-dir course --format csv")
        mounts = work.parent / f"{work.name}-mounts"
        script = "\n".join(["set -e", f"mkdir -p {mounts} {venv}", f"mount --bind {sys.prefix} {venv}",
                            *_views_for([Path(sys.executable).resolve(), sys.prefix, ROOT], mounts),
                            f"runuser -u student -- env -i HOME={home} PATH=/usr/bin:/bin "
                            f"CI={os.environ.get('CI', '')} sh -c '{grade}'"])
        try:
            run = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                 capture_output=True, text=True, timeout=900)
        finally:
            for d in reversed(made_venv):
                d.rmdir()
            shutil.rmtree(mounts, ignore_errors=True)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "the kernel runs as the grader's own user" in run.stderr, run.stderr[-2000:]   # degraded, for real
        row = [ln for ln in run.stdout.splitlines() if ln.startswith("ada,")]
        assert row and row[0].split(",")[3] == "graded", run.stdout[-2000:]
        _, score, max_score, *_ = row[0].split(",")
        assert float(score) == float(max_score) > 0, row
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if made_user:
            subprocess.run(["userdel", "--remove", "student"], check=True, capture_output=True)
