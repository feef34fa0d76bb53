"""Regenerate the student notebooks (lessons/) from the instructor notebooks (solutions/).

nbgrader does the work (``generate_assignment``: solutions replaced by stubs, hidden tests removed,
outputs cleared, cells locked and checksummed). This module adds what a course repository needs:
release into a scratch folder first, then replace only what changed, and never overwrite a lesson
notebook that holds a student's work (executed cells) unless asked to.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.lessons import CONFIG, LESSONS, LessonError, read_notebook, resolve, solution_path


def nbgrader(*args):
    """Run an nbgrader command with the course configuration; raise LessonError with its log on failure.

    nbgrader reads ``nbgrader_config.py`` from its working folder, so it runs in autograder/; paths
    given to it must be absolute.
    """
    cmd = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader runs the `alembic` command to open a gradebook: put this environment's scripts first on
    # PATH, so it is found even when the environment was never activated.
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                 os.environ.get("PATH", "")]))
    proc = subprocess.run(cmd, cwd=CONFIG.parent, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        log = (proc.stdout + proc.stderr).strip()
        raise LessonError(f"nbgrader {args[0]} failed:\n{log}")
    return proc


def generate(lessons, release_dir):
    """Release ``lessons`` (ids) into ``release_dir``/<id>/ without touching lessons/ or a gradebook."""
    for lesson in lessons:
        read_notebook(solution_path(lesson))  # a broken source gets a clear error before nbgrader runs
    for lesson in lessons:
        nbgrader("generate_assignment", lesson, "--force", "--no-db", "--log-level=WARN",
                 f"--CourseDirectory.release_directory={Path(release_dir).resolve()}")
    return [Path(release_dir) / lesson for lesson in lessons]


def holds_work(path):
    """True if the notebook at ``path`` has executed cells: a student has worked in it."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable file is treated as someone's: do not delete it
        return True
    return any(c.get("outputs") or c.get("execution_count")
               for c in nb.cells if c.cell_type == "code")


def _same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(
        _same_tree(Path(a) / d, Path(b) / d) for d in cmp.common_dirs)


def release(lessons=None, force=False, release_dir=LESSONS, log=print):
    """Regenerate ``release_dir``/<id>/ for the given lessons (all when None).

    Returns {lesson: "new" | "updated" | "unchanged"}. Refuses, with a LessonError naming the files,
    to replace a notebook that holds executed cells unless ``force`` is True.
    """
    ids = resolve(lessons)
    if not ids:
        raise LessonError("no lessons found in solutions/ (expected solutions/<id>/<id>.ipynb)")
    release_dir = Path(release_dir)
    status = {}
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        generate(ids, tmp)
        busy = [p for lesson in ids for p in sorted((release_dir / lesson).glob("*.ipynb"))
                if holds_work(p)]
        if busy and not force:
            names = "\n  ".join(str(p) for p in busy)
            raise LessonError("these lesson notebooks hold executed cells (someone's work) and would "
                              f"be replaced:\n  {names}\nCopy them elsewhere, or pass --force.")
        for lesson in ids:
            new, dest = Path(tmp) / lesson, release_dir / lesson
            if dest.is_dir() and _same_tree(new, dest):
                status[lesson] = "unchanged"
                continue
            status[lesson] = "updated" if dest.exists() else "new"
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(new, dest)
    for lesson, what in status.items():
        log(f"{release_dir.name}/{lesson}: {what}")
    return status
