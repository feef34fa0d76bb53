"""What Canvas and Moodle put in their downloads, and what their grade imports expect.

File names of a bulk download (collect):

- **Canvas** "Download Submissions" names each file ``<sortablename>_<userid>_<submissionid>_<name>``,
  or ``<sortablename>_LATE_<userid>_<submissionid>_<name>`` for a late one (the sortable name is the
  student's "Last, First" in lower case without punctuation, e.g. ``lovelaceada``; a resubmitted file
  gets ``-1``, ``-2``... before its extension).
- **Moodle** "Download all submissions" gives one folder per student,
  ``<Full Name>_<participant id>_assignsubmission_file_`` (or, with "Download submissions in folders"
  off, files named ``<Full Name>_<participant id>_assignsubmission_file_<name>``).

Grade sheets (export): see ``canvas_sheet`` and ``moodle_sheet``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from autograder.lessons import LessonError

CANVAS_RE = re.compile(r"(?P<name>[^_/]+?)_(?P<late>LATE_)?(?P<user_id>\d+)_(?P<submission_id>\d+)_(?P<rest>.+)")
MOODLE_RE = re.compile(r"(?P<name>[^/]+?)_(?P<user_id>\d+)_(?P<plugin>assignsubmission_[a-z]+)_(?P<rest>.*)")
# a Moodle name whose participant id is missing: the student cannot be told apart from a namesake
MOODLE_NO_ID_RE = re.compile(r"(?P<name>[^/]+?)_(?P<plugin>assignsubmission_[a-z]+)_(?P<rest>.*)")
ID_FROM = ("id", "name")


@dataclass
class LmsName:
    """What a Canvas or Moodle file or folder name says about its student."""

    lms: str             # canvas / moodle
    user_id: str         # Canvas user id / Moodle participant id
    name: str            # Canvas sortable name / Moodle full name
    late: bool = False
    rest: str = ""       # the student's own file name (Canvas), or what follows the plugin (Moodle)
    submission_id: str = ""

    def student(self, id_from="id"):
        """The course's student id: the LMS id, or (``id_from='name'``) the name made into an id."""
        if id_from == "name":
            return re.sub(r"[^A-Za-z0-9._@+-]+", "_", self.name.strip()).strip("_.") or self.name
        return self.user_id

    def record(self):
        return {"lms": self.lms, "lms_id": self.user_id, "lms_name": self.name, "late": self.late}


def parse(name):
    """An ``LmsName`` for a Canvas file name or a Moodle file/folder name, else None.

    Raises LessonError for a Moodle name without a participant id (nobody could tell whose it is).
    """
    m = MOODLE_RE.fullmatch(name)
    if m:
        return LmsName("moodle", m["user_id"], m["name"], rest=m["rest"])
    m = CANVAS_RE.fullmatch(name)
    if m and re.fullmatch(r"[a-z0-9]+", m["name"]):
        return LmsName("canvas", m["user_id"], m["name"], late=bool(m["late"]), rest=m["rest"],
                       submission_id=m["submission_id"])
    if MOODLE_NO_ID_RE.fullmatch(name):
        raise LessonError(f"{name!r}: a Moodle name with no participant id (expected '<Full Name>_<id>_"
                          "assignsubmission_file_'); download the submissions again from Moodle without "
                          "renaming them, or pass --pattern with a 'student' group")
    return None


# -- roster ---------------------------------------------------------------------------------------

# accepted headers (lower case) -> the roster's own field; Canvas's gradebook export and Moodle's
# participants export can be given as they are
ROSTER_FIELDS = {
    "student_id": "student_id", "student id": "student_id", "course id": "student_id",
    "id": "canvas_id", "canvas_id": "canvas_id", "canvas id": "canvas_id",
    "student": "name", "name": "name", "full name": "name", "full_name": "name",
    "sis user id": "sis_user_id", "sis_user_id": "sis_user_id",
    "sis login id": "sis_login_id", "sis_login_id": "sis_login_id",
    "section": "section",
    "email": "email", "email address": "email",
    "idnumber": "idnumber", "id number": "idnumber",
    "username": "username",
}
FIELDS = ("student_id", "name", "canvas_id", "sis_user_id", "sis_login_id", "section", "email",
          "idnumber", "username")


def load_roster(path):
    """The roster as a DataFrame indexed by the course's student id, with the columns in ``FIELDS``.

    The course's student id is the ``student_id`` column, or else Canvas's ``ID`` (the id collect
    files a Canvas download under). Unknown columns are ignored; a missing field is blank.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise LessonError(f"{path}: no such roster file (give a CSV with a student_id column)") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise LessonError(f"{path}: cannot read the roster as CSV ({err}); save it as CSV (UTF-8) with a "
                          "header row, e.g. student_id,name,email") from None
    renamed = {}
    for col in table.columns:
        field = ROSTER_FIELDS.get(str(col).strip().lower())
        if field and field not in renamed.values():
            renamed[col] = field
    table = table[list(renamed)].rename(columns=renamed)
    if "student_id" not in table.columns:
        if "canvas_id" not in table.columns:
            raise LessonError(f"{path}: the roster has no student_id column (nor Canvas's ID column); its "
                              f"header is {', '.join(map(str, renamed) or ['empty'])}: add a column "
                              "student_id holding the ids that collect filed the submissions under")
        table["student_id"] = table["canvas_id"]
    for field in FIELDS:
        if field not in table.columns:
            table[field] = ""
    table = table[list(FIELDS)].apply(lambda c: c.str.strip())
    # Canvas's export has a "Points Possible" row and may have a test student: no id, not a student
    table = table[(table["student_id"] != "") & ~table["name"].str.strip().eq("Points Possible")]
    dupes = sorted(set(table["student_id"][table["student_id"].duplicated()]))
    if dupes:
        raise LessonError(f"{path}: the roster lists {', '.join(dupes)} more than once; keep one row each")
    return table.set_index("student_id", drop=False)


# -- grade sheets ---------------------------------------------------------------------------------


def canvas_sheet(table, items, points, assignment_ids):
    """Canvas's gradebook import CSV.

    Canvas reads ``Student, ID, SIS User ID, SIS Login ID, Section`` and then one column per
    assignment named ``<assignment name> (<assignment id>)``; a second row starting with
    ``Points Possible`` gives each column's maximum; a column without an id creates a new assignment
    (Canvas Instructor Guide, "How do I import grades in the Gradebook?" and "How do I export grades
    in the Gradebook?", community.canvaslms.com). ``table``: one row per student (student_id, name,
    canvas_id, sis_user_id, sis_login_id, section + ``items``); ``points``: {item: max points};
    ``assignment_ids``: {item: Canvas assignment id}.
    """
    head = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    columns = {item: f"{item} ({assignment_ids[item]})" if assignment_ids.get(item) else item for item in items}
    out = pd.DataFrame({
        "Student": table["name"].where(table["name"] != "", table["student_id"]),
        "ID": table["canvas_id"].where(table["canvas_id"] != "", table["student_id"]),
        "SIS User ID": table["sis_user_id"], "SIS Login ID": table["sis_login_id"],
        "Section": table["section"],
    })
    for item in items:
        out[columns[item]] = table[item]
    possible = pd.DataFrame([["Points Possible", "", "", "", ""] + [_num(points.get(i)) for i in items]],
                            columns=head + [columns[i] for i in items])
    return pd.concat([possible, out], ignore_index=True).to_csv(index=False)


MOODLE_IDS = ("email", "idnumber", "username")


def moodle_sheet(table, items, identifier="email"):
    """Moodle's grade import CSV: an identifier column, then one column per grade item.

    Moodle's "Import grades > CSV file" maps one column to the users (email address, ID number or
    username) and each other column to a grade item chosen on the import page; the maxima are the
    grade items' own (Moodle Docs, "Grade import"; "Grade export" gives the same layout). Columns
    ``First name``/``Last name`` style names are ignored there, so the full name is kept for people
    who read the sheet.
    """
    if identifier not in MOODLE_IDS:
        raise LessonError(f"unknown Moodle identifier {identifier!r}; choose from {', '.join(MOODLE_IDS)}")
    header = {"email": "Email address", "idnumber": "ID number", "username": "Username"}[identifier]
    out = pd.DataFrame({header: table[identifier], "Full name": table["name"]})
    for item in items:
        out[item] = table[item]
    return out.to_csv(index=False)


def _num(value):
    if value in (None, ""):
        return ""
    return f"{float(value):g}"
