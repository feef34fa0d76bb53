"""The grading course folder: nbgrader's layout plus the grader's own state, and the lesson templates.

```
<course>/submitted/<student>/<lesson>/<lesson>.ipynb    what each student handed in (``collect``)
<course>/autograded/<student>/<lesson>/                  nbgrader's graded notebooks
<course>/feedback/<student>/<lesson>/<lesson>.html      per-student feedback (``feedback``)
<course>/gradebook.db                                   nbgrader's gradebook
<course>/grading/                                       the grader's state (ignored by git):
    release/<lesson>/        the lesson as released from solutions/ (the gradebook knows it)
    staged/<student>/<lesson>/   rebuilt submissions, as nbgrader grades them
    executed/<student>/<lesson>/ the same, executed in the sandbox (nbgrader takes their outputs)
    results/<lesson>/<student>.json   status, reasons, score (``report``)
    collect/<lesson>.json    what ``collect`` took and skipped, per student
    prepared/<lesson>.sha256 the source the gradebook was last prepared from
    replaced/<lesson>/       earlier submissions replaced by ``collect --replace``
```

The default course folder is the project root (as in ``nbgrader_config.py``), or ``$COURSE_GRADE_DIR``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import nbformat

from autograder.lessons import CONFIG, ROOT, SOLUTIONS, LessonError, read_notebook, resolve

STATE = "grading"


def default_root():
    return Path(os.environ.get("COURSE_GRADE_DIR") or ROOT)


class GradingCourse:
    """An nbgrader course folder used for grading (see the module docstring for its layout)."""

    def __init__(self, root=None):
        self.root = Path(root or default_root()).resolve()
        # the lessons' source: the course folder's own solutions/ when it has one (a checkout graded with a
        # non-editable `pip install .`), else the project's
        own = self.root / "solutions"
        self.solutions = own if own.is_dir() else SOLUTIONS

    # -- paths --------------------------------------------------------------------------------

    @property
    def state(self):
        return self.root / STATE

    @property
    def db_path(self):
        return self.root / "gradebook.db"

    @property
    def db_url(self):
        return f"sqlite:///{self.db_path}"

    @property
    def course_id(self):
        return self.nbgrader_config().CourseDirectory.course_id or "default_course"

    def submitted(self, student, lesson):
        return self.root / "submitted" / student / lesson / f"{lesson}.ipynb"

    def staged(self, student, lesson):
        return self.state / "staged" / student / lesson / f"{lesson}.ipynb"

    def executed(self, student, lesson):
        return self.state / "executed" / student / lesson / f"{lesson}.ipynb"

    def autograded(self, student, lesson):
        return self.root / "autograded" / student / lesson / f"{lesson}.ipynb"

    def feedback(self, student, lesson):
        return self.root / "feedback" / student / lesson / f"{lesson}.html"

    def result_path(self, student, lesson):
        return self.state / "results" / lesson / f"{student}.json"

    def collect_log(self, lesson):
        return self.state / "collect" / f"{lesson}.json"

    def release_dir(self, lesson):
        return self.state / "release" / lesson

    def make_state(self):
        """Create grading/ with a .gitignore of its own, so that git never sees the grader's state."""
        self.state.mkdir(parents=True, exist_ok=True)
        ignore = self.state / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# the grader's working state: never committed\n*\n")

    def students(self, lesson):
        """Students with a collected submission of ``lesson`` (sorted)."""
        base = self.root / "submitted"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and (p / lesson).is_dir())

    # -- nbgrader -----------------------------------------------------------------------------

    def nbgrader_options(self):
        """Command-line options pointing nbgrader at this course folder and the project's solutions."""
        return [f"--CourseDirectory.root={self.root}",
                f"--CourseDirectory.source_directory={self.solutions}",
                f"--CourseDirectory.release_directory={self.state / 'release'}",
                f"--CourseDirectory.db_url={self.db_url}"]

    def nbgrader_config(self):
        """The same settings as a traitlets Config (for nbgrader's Python API), on top of the course's."""
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
        extra = Config()
        extra.CourseDirectory.root = str(self.root)
        extra.CourseDirectory.source_directory = str(self.solutions)
        extra.CourseDirectory.release_directory = str(self.state / "release")
        extra.CourseDirectory.db_url = self.db_url
        config.merge(extra)
        return config

    def nbgrader(self, *args):
        from autograder.release import nbgrader

        return nbgrader(*args, *self.nbgrader_options())

    # -- lessons ------------------------------------------------------------------------------

    def lesson(self, name):
        """Resolve a lesson name given on the command line (an id or a unique prefix)."""
        return resolve([name], root=self.solutions)[0]

    def prepare(self, lesson):
        """Make sure the gradebook knows ``lesson`` as it is in solutions/ now; return its Template.

        ``nbgrader generate_assignment`` runs only when the lesson's source changed since last time.
        """
        self.make_state()
        source = self.solutions / lesson
        read_notebook(source / f"{lesson}.ipynb")
        digest = _tree_digest(source, CONFIG)
        stamp = self.state / "prepared" / f"{lesson}.sha256"
        released = self.release_dir(lesson) / f"{lesson}.ipynb"
        if not (self.db_path.exists() and released.exists() and stamp.exists()
                and stamp.read_text().strip() == digest):
            self.generate_assignment(lesson)
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text(digest)
        return Template.load(self, lesson)

    def generate_assignment(self, lesson):
        """Release ``lesson`` into grading/release/ and record it in the gradebook (in this process)."""
        import warnings

        from nbgrader.apps.api import NbGraderAPI

        # nbgrader runs the `alembic` command when it creates a gradebook: find this environment's
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
        self.root.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = NbGraderAPI(config=self.nbgrader_config()).generate_assignment(lesson, force=True,
                                                                                 create=True)
        if not out.get("success"):
            log = (out.get("log", "") + out.get("error", "")).strip()
            raise LessonError(f"nbgrader generate_assignment {lesson} failed:\n{log[-3000:]}")


class Template:
    """A lesson's grading template: the released notebook with the instructor's locked and test
    cells (hidden tests included, from the gradebook), the sources the students were given, and
    the lesson's other files."""

    def __init__(self, lesson, nb, released, files, digest):
        self.lesson = lesson
        self.nb = nb
        self.released = released
        self.files = files
        self.digest = digest

    @classmethod
    def load(cls, course, lesson):
        from nbgrader.api import Gradebook, MissingEntry

        folder = course.release_dir(lesson)
        nb = nbformat.read(folder / f"{lesson}.ipynb", as_version=4)
        released = {}
        with Gradebook(course.db_url, course.course_id) as gb:
            for cell in nb.cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                gid = meta.get("grade_id")
                if not gid:
                    continue
                released[gid] = cell.source
                try:
                    source = gb.find_source_cell(gid, lesson, lesson)
                except MissingEntry:
                    raise LessonError(f"{lesson}: cell '{gid}' is not in the gradebook {course.db_path}; "
                                      "delete grading/release/ and grade again") from None
                cell.source = source.source
                meta["checksum"] = source.checksum
        files = {str(p.relative_to(folder)): str(p) for p in sorted(folder.rglob("*"))
                 if p.is_file() and p.name != f"{lesson}.ipynb" and ".ipynb_checkpoints" not in p.parts}
        text = nbformat.writes(nb)
        digest = hashlib.sha256(text.encode() + json.dumps(files, sort_keys=True).encode()
                                + b"".join(Path(f).read_bytes() for f in files.values())).hexdigest()
        return cls(lesson, nb, released, files, digest)

    def text(self):
        return nbformat.writes(self.nb)


def _tree_digest(folder, *extra):
    h = hashlib.sha256()
    for p in sorted(Path(folder).rglob("*")) + [Path(e) for e in extra]:
        if p.is_file() and ".ipynb_checkpoints" not in p.parts:
            h.update(str(p.name).encode())
            h.update(p.read_bytes())
    return h.hexdigest()
