"""Collect submissions into the course folder, where nbgrader expects them.

Two sources are understood:

- a **folder of per-student folders**: ``SOURCE/<student>/<lesson>.ipynb`` (the notebook may sit
  deeper, e.g. ``SOURCE/<student>/<lesson>/<lesson>.ipynb`` as nbgrader's exchange has it);
- an **LMS bulk-download zip** with one file per student, the student id in the file name:
  ``<student>_<anything>_<lesson>.ipynb`` by default (Canvas-style; ``-1``, ``-2``... resubmission
  suffixes are accepted), or whatever ``pattern`` (a regex with a ``student`` group) says. A zip of
  per-student folders is read like a folder.

Each submission is filed as ``submitted/<student>/<lesson>/<lesson>.ipynb``. Nothing is ever
overwritten silently: an identical file is left alone, a different one is skipped unless
``replace`` is given (the old one is then kept in ``grading/replaced/``). Everything that was not
taken is reported with the reason and the fix; skipped students are remembered for the report.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from autograder.lessons import LessonError

DEFAULT_PATTERN = r"(?P<student>[^_]+)_.+"
STUDENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
MAX_FILE_MB = 256
IGNORED = (".DS_Store", "Thumbs.db", "__MACOSX", ".ipynb_checkpoints")

TAKEN, UNCHANGED, REPLACED, SKIPPED = "taken", "unchanged", "replaced", "skipped"


@dataclass
class Outcome:
    """What collect did with one file (or one student)."""

    action: str          # taken / unchanged / replaced / skipped
    student: str | None
    source: str          # the file (or folder) in the source, as named there
    reason: str = ""


@dataclass
class _Item:
    student: str | None
    name: str            # path inside the source
    read: object         # () -> bytes


def _ignored(parts):
    return any(p in IGNORED or p.startswith("._") for p in parts)


def _from_folder(source):
    """Items of a folder of per-student folders; loose files are reported."""
    items, loose = [], []
    for entry in sorted(Path(source).iterdir()):
        if _ignored([entry.name]) or entry.name.startswith("."):
            continue
        if entry.is_dir():
            files = [p for p in sorted(entry.rglob("*")) if p.is_file()
                     and not _ignored(p.relative_to(entry).parts)]
            if not files:
                loose.append(Outcome(SKIPPED, entry.name, f"{entry.name}/", "the folder is empty"))
            for p in files:
                items.append(_Item(entry.name, str(p.relative_to(source)), p.read_bytes))
        else:
            loose.append(Outcome(SKIPPED, None, entry.name,
                                 "not in a student's folder (expected SOURCE/<student>/<lesson>.ipynb)"))
    return items, loose


def _from_zip(source, pattern, lesson):
    """Items of an LMS zip: per-student folders, or one file per student named by ``pattern``."""
    items, loose = [], []
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise LessonError(f"{source}: not a zip file (download the submissions again)") from None
    entries = [i for i in archive.infolist() if not i.is_dir()
               and not _ignored(PurePosixPath(i.filename).parts)]
    # a single top folder holding everything is just packaging
    tops = {PurePosixPath(i.filename).parts[0] for i in entries}
    strip = 1 if len(tops) == 1 and all(len(PurePosixPath(i.filename).parts) > 1 for i in entries) else 0
    for info in entries:
        parts = PurePosixPath(info.filename).parts[strip:]
        if ".." in parts or PurePosixPath(info.filename).is_absolute():
            loose.append(Outcome(SKIPPED, None, info.filename, "unsafe path in the zip"))
            continue
        if info.file_size > MAX_FILE_MB << 20:
            loose.append(Outcome(SKIPPED, None, info.filename, f"larger than {MAX_FILE_MB} MB"))
            continue
        read = functools.partial(archive.read, info)
        if len(parts) > 1:
            items.append(_Item(parts[0], info.filename, read))
            continue
        m = re.fullmatch(pattern, parts[0])
        bare = re.fullmatch(rf"{re.escape(lesson)}(-\d+)?\.ipynb", parts[0])  # the lesson's name alone
        if bare or not m or not m.groupdict().get("student"):
            loose.append(Outcome(SKIPPED, None, info.filename,
                                 f"no student id in the file name (expected to match {pattern!r}; "
                                 "pass --pattern to read other names)"))
            continue
        items.append(_Item(m.group("student"), info.filename, read))
    return items, loose, archive


def _matches(name, lesson):
    """True if a file name is the lesson's notebook (LMS prefixes and -N suffixes allowed)."""
    return re.search(rf"(^|[_/\s-]){re.escape(lesson)}(-\d+)?\.ipynb$", name) is not None


def collect(course, source, lesson, pattern=None, replace=False):
    """Collect ``lesson`` submissions from ``source`` (folder or zip) into ``course``.

    Returns the list of Outcome, one per student (or per file that belongs to no student).
    """
    source = Path(source)
    if not source.exists():
        raise LessonError(f"{source}: no such file or folder (give a folder of per-student folders "
                          "or an LMS zip)")
    archive = None
    if source.is_dir():
        items, outcomes = _from_folder(source)
    elif zipfile.is_zipfile(source):
        items, outcomes, archive = _from_zip(source, pattern or DEFAULT_PATTERN, lesson)
    else:
        raise LessonError(f"{source}: neither a folder nor a zip file")
    try:
        by_student = {}
        for item in items:
            by_student.setdefault(item.student, []).append(item)
        for student, found in sorted(by_student.items()):
            outcomes.append(_collect_one(course, lesson, student, found, replace))
    finally:
        if archive is not None:
            archive.close()
    _remember(course, lesson, [o for o in outcomes if o.student])
    return outcomes


def _collect_one(course, lesson, student, found, replace):
    names = ", ".join(i.name for i in found)
    if not STUDENT_RE.fullmatch(student or ""):
        return Outcome(SKIPPED, None, names, f"{student!r} is not a usable student id (letters, digits "
                                             "and ._@+- only)")
    notebooks = [i for i in found if i.name.lower().endswith(".ipynb")]
    right = [i for i in notebooks if _matches(PurePosixPath(i.name).name, lesson)]
    if len(right) > 1:
        return Outcome(SKIPPED, student, names, f"duplicate: {len(right)} files could be the submission "
                                                f"({', '.join(i.name for i in right)}); keep one and "
                                                "collect again")
    if not right:
        if notebooks:
            return Outcome(SKIPPED, student, names,
                           f"wrong notebook name: expected {lesson}.ipynb, found "
                           f"{', '.join(PurePosixPath(i.name).name for i in notebooks)} (rename it and "
                           "collect again)")
        return Outcome(SKIPPED, student, names, f"not a notebook: expected {lesson}.ipynb, found "
                                                f"{', '.join(PurePosixPath(i.name).name for i in found)}")
    item = right[0]
    data = item.read()
    target = course.submitted(student, lesson)
    if target.exists():
        if target.read_bytes() == data:
            return Outcome(UNCHANGED, student, item.name, "already collected")
        if not replace:
            return Outcome(SKIPPED, student, item.name,
                           f"a different submission is already collected at {target}; pass --replace to "
                           "replace it (the old one is kept in grading/replaced/)")
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        backup = course.state / "replaced" / lesson / f"{student}-{stamp}.ipynb"
        course.make_state()
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
        _write(target, data)
        return Outcome(REPLACED, student, item.name, f"the previous one is kept as {backup}")
    _write(target, data)
    return Outcome(TAKEN, student, item.name)


def _write(target, data):
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)


def _remember(course, lesson, outcomes):
    """Keep each student's latest collect outcome (the report lists students who were skipped)."""
    course.make_state()
    path = course.collect_log(lesson)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        log = json.loads(path.read_text())
    except (OSError, ValueError):
        log = {}
    for o in outcomes:
        log[o.student] = asdict(o)
    path.write_text(json.dumps(log, indent=1, sort_keys=True))


def skipped_students(course, lesson):
    """Students whose latest collect was skipped and who have no collected submission: {id: reason}."""
    try:
        log = json.loads(course.collect_log(lesson).read_text())
    except (OSError, ValueError):
        return {}
    return {s: o["reason"] for s, o in sorted(log.items())
            if o.get("action") == SKIPPED and not course.submitted(s, lesson).exists()}
