"""The instructor's JupyterLab (``make instructor``): nbgrader's formgrader on the course-grade course folder.

    python -m autograder.instructor [--course-dir DIR] [--print] [-- JUPYTERLAB OPTIONS...]

The formgrader reads nbgrader's configuration the way stock nbgrader does: ``nbgrader_config.py`` in
the folder the server starts in, the project root. That file derives everything from the same course
folder as ``course-grade`` (the project root, ``$COURSE_GRADE_DIR`` or ``--course-dir``): the lessons'
source (solutions/), submitted/ and autograded/, and the one gradebook (gradebook.db), so the
formgrader lists every lesson and shows the submissions and scores ``course-grade`` graded.

The server starts with this environment's bin/ first on PATH (nbgrader runs ``alembic`` when it
opens a gradebook) and without the students' exchange-based panels (Assignment List, Course List):
this course collects submissions from a folder or an LMS download with ``course-grade collect``, not
through nbgrader's exchange. The formgrader still wants a writable exchange folder, or it shows an
error on every page: it gets a private one, <course>/grading/exchange/.

The browser test (tests/browser/test_formgrader.py) starts the server with ``command()``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from autograder.coursedir import GradingCourse, default_root
from autograder.lessons import ROOT

# labconfig/page_config.json switches the lab side of the exchange-based extensions off (the server side:
# command())
CONFIG_PATH = ROOT / "jupyterlab" / "instructor"
EXCHANGE_EXTENSIONS = ("assignment_list", "course_list")


def exchange_dir(course):
    """The formgrader's exchange folder (``c.Exchange.root`` in the root nbgrader_config.py): private."""
    return course.state / "exchange"


def environment(course_root, base=None):
    """The environment of the instructor's server: the course folder, this venv's bin/ on PATH."""
    env = dict(os.environ if base is None else base)
    env["COURSE_GRADE_DIR"] = str(course_root)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir] + [p for p in env.get("PATH", "").split(os.pathsep)
                                               if p and p != bin_dir])
    extra = [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p and p != str(CONFIG_PATH)]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(CONFIG_PATH)] + extra)
    env.pop("NBGRADER_EXECUTION", None)
    return env


def command(course_root, *lab_options):
    """The command line of the instructor's JupyterLab serving ``course_root`` (run it from ``ROOT``)."""
    disabled = [f"--ServerApp.jpserver_extensions=nbgrader.server_extensions.{name}=False"
                for name in EXCHANGE_EXTENSIONS]
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={course_root}", *disabled,
            *lab_options]


def check(course_root):
    """Refuse a course folder the formgrader cannot serve, saying why and what to do."""
    from autograder.lessons import LessonError

    course_root = Path(course_root)
    if course_root.exists() and not course_root.is_dir():
        raise LessonError(f"{course_root} is not a folder: give --course-dir the course folder "
                          "(the one holding submitted/ and gradebook.db)")
    if not (ROOT / "nbgrader_config.py").is_file():
        raise LessonError(f"{ROOT / 'nbgrader_config.py'} is missing: the formgrader reads the course's "
                          "settings from it (restore it from git)")
    if not (CONFIG_PATH / "labconfig" / "page_config.json").is_file():
        raise LessonError(f"{CONFIG_PATH} is missing: restore jupyterlab/instructor/ from git")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.instructor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--course-dir", type=Path, default=None,
                        help="the course folder course-grade grades in (default: $COURSE_GRADE_DIR or the "
                             "project root)")
    parser.add_argument("--print", action="store_true", help="print the command instead of running it")
    parser.add_argument("lab_options", nargs="*", help="options passed on to JupyterLab (after --)")
    args = parser.parse_args(argv)
    from autograder.lessons import LessonError

    course_root = (args.course_dir or default_root()).resolve()
    try:
        check(course_root)
    except LessonError as error:
        parser.exit(2, f"error: {error}\n")
    cmd = command(course_root, *args.lab_options)
    env = environment(course_root)
    if args.print:
        print(f"cd {shlex.quote(str(ROOT))} && COURSE_GRADE_DIR={shlex.quote(str(course_root))} "
              f"JUPYTER_CONFIG_PATH={shlex.quote(env['JUPYTER_CONFIG_PATH'])} {shlex.join(cmd)}")
        return 0
    course_root.mkdir(parents=True, exist_ok=True)
    course = GradingCourse(course_root)
    course.make_state()
    exchange_dir(course).mkdir(mode=0o700, exist_ok=True)
    print(f"Formgrader on the course folder {course_root}: open JupyterLab's Nbgrader menu > Formgrader",
          file=sys.stderr, flush=True)
    os.chdir(ROOT)
    os.execvpe(cmd[0], cmd, env)


if __name__ == "__main__":
    sys.exit(main())
