"""Where the course's notebooks live, and how to read one with a clear error when it is broken."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"
CONFIG = Path(__file__).resolve().parent / "nbgrader_config.py"


class LessonError(RuntimeError):
    """A lesson is missing or its notebook is broken; the message names the file and the fix."""


def lesson_ids(root=SOLUTIONS):
    """Lesson ids in teaching order: the folders of ``root`` holding a notebook of the same name."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / f"{p.name}.ipynb").is_file())


def solution_path(lesson):
    return SOLUTIONS / lesson / f"{lesson}.ipynb"


def lesson_path(lesson):
    return LESSONS / lesson / f"{lesson}.ipynb"


def read_notebook(path):
    """Read and validate a notebook, raising LessonError that names the file and the problem."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise LessonError(f"{path}: notebook not found.")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds; all mean "not a notebook"
        raise LessonError(f"{path}: not a valid notebook ({type(exc).__name__}: {exc}). "
                          "Restore it from git (`git checkout -- FILE`) or fix the JSON.") from None
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise LessonError(f"{path}: does not follow the notebook format: {exc.message}") from None
    return nb


def resolve(lessons, root=SOLUTIONS):
    """Turn names given on the command line into lesson ids; all lessons when none are given.

    A prefix is enough when it is unambiguous (``01`` -> ``01_softmax``).
    """
    known = lesson_ids(root)
    if not lessons:
        return known
    chosen = []
    for name in lessons:
        name = Path(name).name.removesuffix(".ipynb")
        matches = [k for k in known if k == name] or [k for k in known if k.startswith(name)]
        if len(matches) != 1:
            what = "matches several lessons" if matches else "is not a lesson"
            raise LessonError(f"{name!r} {what}; lessons are: {', '.join(known) or '(none)'}"
                              + ("" if known else f" (no lesson notebooks in {root}: give the course folder "
                                 "holding solutions/ with --course-dir)"))
        chosen.append(matches[0])
    return chosen
