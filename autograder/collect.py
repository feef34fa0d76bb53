"""Collect submissions into the course folder, where nbgrader expects them.

Two sources are understood:

- a **folder of per-student folders**: ``SOURCE/<student>/<lesson>.ipynb`` (the notebook may sit
  deeper, e.g. ``SOURCE/<student>/<lesson>/<lesson>.ipynb`` as nbgrader's exchange has it);
- an **LMS bulk-download zip** (or a folder of its files): a **Canvas** download, one file per student
  named ``<sortablename>_[LATE_]<userid>_<submissionid>_<lesson>.ipynb`` (``-1``, ``-2``...
  resubmission suffixes accepted), is filed under the Canvas user id and keeps the late flag; a
  **Moodle** download, one folder per student named ``<Full Name>_<participant id>_assignsubmission_file_``,
  is filed under the participant id (``id_from='name'``: under the name instead, for both; see
  ``autograder.lms``). Other names: ``<student>_<anything>_<lesson>.ipynb``, or whatever ``pattern``
  (a regex with a ``student`` group, matched against a file's or a top folder's whole name) says; a
  pattern replaces the Canvas/Moodle reading. A zip of other per-student folders is read like a folder.
  What the LMS name said (its id, the student's name, late) is kept in the collect log for the export.

Each submission is filed as ``submitted/<student>/<lesson>/<lesson>.ipynb``. Nothing is ever
overwritten silently: an identical file is left alone, a different one is skipped unless
``replace`` is given (the old one is then kept in ``grading/replaced/``). Everything that was not
taken is reported with the reason and the fix; skipped students are remembered for the report.

Collect never follows a link out of a submission: a student folder that is a symbolic link, and
every link inside one (or in a zip), is left out and reported, so a link to the solutions or to
another student's folder is never filed as someone's work. Student ids are letters, digits and
``._@+-``; an id with a control character or a path separator is refused, and two ids that differ
only by case (here or against those already collected) are a conflict: neither is filed.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from autograder import lms as lms_names
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
    source: str          # the file (or folder) in the source, as named there (control characters escaped)
    reason: str = ""
    lms: dict | None = None   # what a Canvas/Moodle name said: lms, lms_id, lms_name, late

    def __post_init__(self):
        # names come from the students: a newline in one must not forge a line of the report
        self.source, self.reason = printable(self.source), printable(self.reason)


def printable(text):
    """``text`` with control and other invisible format characters escaped (\\n, \\x1b, \\u202e...)."""
    if text is None or text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


@dataclass
class _Item:
    student: str | None
    name: str            # path inside the source
    read: object         # () -> bytes
    link: str | None = None   # a symbolic link (its target): never read, reported
    lms: dict | None = None


def _student_of(name, pattern, id_from, folder=False):
    """(student, lms record, problem) read from a file or folder name; problem is a reason to skip."""
    if pattern is None:
        try:
            found = lms_names.parse(name)
        except LessonError as err:
            return None, None, str(err)
        if found is not None and not (folder and found.lms == "canvas"):   # Canvas names files only
            return found.student(id_from), found.record(), None
    m = re.fullmatch(pattern or DEFAULT_PATTERN, name)
    if m and m.groupdict().get("student"):
        return m.group("student"), None, None
    return None, None, None


LINK_RULE = "collect never follows a link out of a submission: hand in the file itself"


def _ignored(parts):
    return any(p in IGNORED or p.startswith("._") for p in parts)


def _from_folder(source, pattern=None, lesson=None, id_from="id"):
    """Items of a folder of per-student folders (or of LMS-named loose files). Links are never followed."""
    items, loose = [], []
    source = Path(source)
    for entry in sorted(source.iterdir()):
        if _ignored([entry.name]) or entry.name.startswith("."):
            continue
        if entry.is_symlink():
            loose.append(Outcome(SKIPPED, entry.name if _id_problem(entry.name) is None else None, entry.name,
                                 f"the student's folder is a symbolic link (to {os.readlink(entry)}); "
                                 f"{LINK_RULE}"))
        elif entry.is_dir():
            student, record, problem = _student_of(entry.name, pattern, id_from, folder=True)
            if problem:
                loose.append(Outcome(SKIPPED, None, f"{entry.name}/", problem))
                continue
            if record is None and (pattern is None or student is None):
                student = entry.name   # a plain per-student folder: its name is the id
            found = []
            for top, dirs, files in os.walk(entry):   # followlinks=False: linked folders are not entered
                dirs[:] = sorted(d for d in dirs if not _ignored([d]))
                for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
                    path = Path(top, name)
                    if _ignored(path.relative_to(entry).parts):
                        continue
                    info = path.lstat()
                    rel = str(path.relative_to(source))
                    if stat.S_ISLNK(info.st_mode):
                        found.append(_Item(student, rel, None, link=os.readlink(path), lms=record))
                    elif stat.S_ISREG(info.st_mode):   # no pipes, sockets or devices
                        found.append(_Item(student, rel, functools.partial(_read_no_link, path), lms=record))
            if not found:
                loose.append(Outcome(SKIPPED, student, f"{entry.name}/", "the folder is empty"))
            items += found
        else:
            # a loose file is someone's only when its name says whose (Canvas, Moodle, or --pattern)
            student, record, problem = _student_of(entry.name, pattern, id_from)
            if (record is not None or pattern is not None) and student and entry.is_file():
                items.append(_Item(student, entry.name, functools.partial(_read_no_link, entry), lms=record))
            else:
                loose.append(Outcome(SKIPPED, None, entry.name, problem or (
                    "not in a student's folder (expected SOURCE/<student>/<lesson>.ipynb, a Canvas or Moodle "
                    "file name, or a name that --pattern reads)")))
    return items, loose


def _read_no_link(path):
    """The bytes of ``path``, refusing a symbolic link put there since the folder was listed."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _zip_link(info):
    return stat.S_ISLNK(info.external_attr >> 16)


def _from_zip(source, pattern, lesson, id_from="id"):
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
    if strip and pattern is None and _student_of(next(iter(tops)), None, id_from, folder=True)[1] is not None:
        strip = 0   # one Moodle student's folder, not packaging
    for info in entries:
        parts = PurePosixPath(info.filename).parts[strip:]
        if ".." in parts or PurePosixPath(info.filename).is_absolute():
            loose.append(Outcome(SKIPPED, None, info.filename, "unsafe path in the zip"))
            continue
        if info.file_size > MAX_FILE_MB << 20:
            loose.append(Outcome(SKIPPED, None, info.filename, f"larger than {MAX_FILE_MB} MB"))
            continue
        read = functools.partial(archive.read, info)
        link = archive.read(info).decode("utf-8", "replace")[:200] if _zip_link(info) else None
        student, record, problem = _student_of(parts[0], pattern, id_from, folder=len(parts) > 1)
        if len(parts) > 1:
            if problem:
                loose.append(Outcome(SKIPPED, None, info.filename, problem))
            elif record is None and (pattern is None or student is None):
                items.append(_Item(parts[0], info.filename, read, link=link))
            else:
                items.append(_Item(student, info.filename, read, link=link, lms=record))
            continue
        bare = re.fullmatch(rf"{re.escape(lesson)}(-\d+)?\.ipynb", parts[0])  # the lesson's name alone
        if bare or problem or not student:
            loose.append(Outcome(SKIPPED, None, info.filename, problem or (
                f"no student id in the file name (expected a Canvas or Moodle name, or to match "
                f"{pattern or DEFAULT_PATTERN!r}; pass --pattern to read other names)")))
            continue
        items.append(_Item(student, info.filename, read, link=link, lms=record))
    return items, loose, archive


def _matches(name, lesson):
    """True if a file name is the lesson's notebook (LMS prefixes and -N suffixes allowed)."""
    return re.search(rf"(^|[_/\s-]){re.escape(lesson)}(-\d+)?\.ipynb$", name) is not None


def collect(course, source, lesson, pattern=None, replace=False, id_from="id"):
    """Collect ``lesson`` submissions from ``source`` (folder or zip) into ``course``.

    ``id_from``: file a Canvas/Moodle submission under the LMS's user id (``'id'``) or the student's
    name (``'name'``). Returns the list of Outcome, one per student (or per file that belongs to no
    student).
    """
    if id_from not in lms_names.ID_FROM:
        raise LessonError(f"unknown id_from {id_from!r}; choose from {', '.join(lms_names.ID_FROM)}")
    if pattern is not None:
        try:
            compiled = re.compile(pattern)
        except re.error as err:
            raise LessonError(f"--pattern {pattern!r} is not a regular expression ({err})") from None
        if "student" not in compiled.groupindex:
            raise LessonError(f"--pattern {pattern!r} has no 'student' group: write the id's part as "
                              "(?P<student>...)")
    source = Path(source)
    if not source.exists():
        raise LessonError(f"{source}: no such file or folder (give a folder of per-student folders "
                          "or an LMS zip)")
    archive = None
    if source.is_dir():
        items, outcomes = _from_folder(source, pattern, lesson, id_from)
    elif zipfile.is_zipfile(source):
        items, outcomes, archive = _from_zip(source, pattern, lesson, id_from)
    elif source.suffix.lower() == ".zip":
        raise LessonError(f"{source}: not a zip file, or a damaged one (download the submissions again; "
                          "a partly downloaded zip cannot be read)")
    else:
        raise LessonError(f"{source}: neither a folder nor a zip file")
    try:
        by_student = {}
        for item in items:
            by_student.setdefault(item.student, []).append(item)
        conflicts = _case_conflicts(course, by_student)
        for student, found in sorted(by_student.items()):
            if student in conflicts:
                outcomes.append(Outcome(SKIPPED, student, ", ".join(i.name for i in found), conflicts[student]))
            else:
                outcome = _collect_one(course, lesson, student, found, replace)
                records = [i.lms for i in found if i.lms]
                if records and outcome.student:
                    outcome.lms = {**records[0], "late": any(r["late"] for r in records)}
                outcomes.append(outcome)
    finally:
        if archive is not None:
            archive.close()
    _remember(course, lesson, [o for o in outcomes if o.student])
    return outcomes


def _id_problem(student):
    """Why ``student`` cannot be a student id (None if it can)."""
    student = student or ""
    if any(unicodedata.category(ch)[0] == "C" for ch in student):
        return f"{printable(repr(student))} is not a usable student id: it contains a control character"
    if any(sep in student for sep in ("/", "\\", os.sep)) or student in (".", ".."):
        return f"{student!r} is not a usable student id: it contains a path separator"
    if not STUDENT_RE.fullmatch(student):
        return f"{printable(repr(student))} is not a usable student id (letters, digits and ._@+- only)"
    return None


def _case_conflicts(course, by_student):
    """{student: reason} for the ids that differ only by case from another id, here or already collected.

    On a case-insensitive disk (a copy of the course on macOS or Windows) they would share a folder.
    """
    base = course.root / "submitted"
    known = [p.name for p in base.iterdir() if p.is_dir()] if base.is_dir() else []
    groups = {}
    for student in {*by_student, *known}:
        if student and _id_problem(student) is None:
            groups.setdefault(student.casefold(), set()).add(student)
    conflicts = {}
    for same in groups.values():
        if len(same) < 2:
            continue
        for student in same & set(by_student):
            others = sorted(same - {student})
            where = ["already collected" if o in known else "in this source" for o in others]
            conflicts[student] = (f"conflict: the student id {student!r} differs only by case from "
                                  + ", ".join(f"{o!r} ({w})" for o, w in zip(others, where))
                                  + "; nothing was filed for it: rename one (ids must differ by more than case)"
                                  " and collect again")
    return conflicts


def _collect_one(course, lesson, student, found, replace):
    names = ", ".join(i.name for i in found)
    problem = _id_problem(student)
    if problem:
        return Outcome(SKIPPED, None, names, problem)
    links = [i for i in found if i.link is not None]
    found = [i for i in found if i.link is None]
    if not found:
        return Outcome(SKIPPED, student, names, "only symbolic links: "
                       + ", ".join(f"{i.name} -> {i.link}" for i in links) + f"; {LINK_RULE}")
    outcome = _take(course, lesson, student, found, replace, names)
    if links:
        outcome.reason = printable("; ".join(filter(None, [outcome.reason, (
            f"left out the symbolic link{'s' if len(links) > 1 else ''} "
            + ", ".join(f"{i.name} -> {i.link}" for i in links) + f" ({LINK_RULE})")])))
    return outcome


def _take(course, lesson, student, found, replace, names):
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
        entry = asdict(o)
        if entry["lms"] is None and (log.get(o.student) or {}).get("lms"):
            entry["lms"] = log[o.student]["lms"]   # collected again from a plain folder: keep what the LMS said
        log[o.student] = entry
    path.write_text(json.dumps(log, indent=1, sort_keys=True))


def skipped_students(course, lesson):
    """Students whose latest collect was skipped and who have no collected submission: {id: reason}."""
    try:
        log = json.loads(course.collect_log(lesson).read_text())
    except (OSError, ValueError):
        return {}
    return {s: o["reason"] for s, o in sorted(log.items())
            if o.get("action") == SKIPPED and not course.submitted(s, lesson).exists()}


def lms_records(course, lesson):
    """What the Canvas/Moodle names said about each student of ``lesson``: {id: {lms, lms_id, lms_name, late}}."""
    try:
        log = json.loads(course.collect_log(lesson).read_text())
    except (OSError, ValueError):
        return {}
    return {s: o["lms"] for s, o in sorted(log.items()) if s and o.get("lms")}
