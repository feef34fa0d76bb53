"""``course-grade``: the instructor's command (also ``python -m autograder``).

release -> collect -> autograde -> feedback -> export, plus ``report`` (the status table of a
lesson) and ``sandbox`` (what this machine can enforce). ``COMMAND --help`` explains each one.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from autograder.lessons import LessonError


def _course(args):
    from autograder.coursedir import GradingCourse

    return GradingCourse(args.course_dir)


def _release(args):
    if args.bundle is None:
        if args.bundle_lessons is not None or args.released is not None:
            raise LessonError("--lessons and --released go with --bundle DIR_OR_ZIP (the student bundle); to "
                              "regenerate lessons/, name the lessons alone: course-grade release 01 02")
        from autograder.release import release

        release(args.lessons, force=args.force)
        return 0
    if args.lessons:
        raise LessonError(f"with --bundle, name the lessons with --lessons (got {' '.join(args.lessons)} on "
                          f"their own): course-grade release --bundle {args.bundle} --lessons "
                          + " ".join(args.lessons))
    from autograder.bundle import build

    build(args.bundle, lessons=args.bundle_lessons or None, released=args.released or (), force=args.force)
    return 0


def _collect(args):
    from autograder.collect import REPLACED, SKIPPED, TAKEN, UNCHANGED, collect

    course = _course(args)
    lesson = course.lesson(args.lesson)
    outcomes = collect(course, args.source, lesson, pattern=args.pattern, replace=args.replace,
                       id_from=args.id_from)
    for o in outcomes:
        who = o.student or "-"
        late = "  (late)" if (o.lms or {}).get("late") else ""
        print(f"{o.action:<9} {who:<20} {o.source}{late}" + (f"\n          {o.reason}" if o.reason else ""))
    counts = {a: sum(o.action == a for o in outcomes) for a in (TAKEN, REPLACED, UNCHANGED, SKIPPED)}
    print(", ".join(f"{n} {a}" for a, n in counts.items()) + f"  ->  {course.root / 'submitted'}")
    return 0


def _limits(args):
    from autograder.sandbox import Limits

    return Limits(cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout, memory_mb=args.memory,
                  cpu_seconds=args.cpu or 0, max_processes=args.max_processes, output_mb=args.output)


def _autograde(args):
    from collections import Counter

    from autograder import batch
    from autograder import status as st
    from autograder.sandbox import support

    course = _course(args)
    lesson = course.lesson(args.lesson)
    sup = support()
    if not sup.bwrap or not sup.cgroup:
        for what, why in sup.missing():
            if what not in ("disk I/O", "model size"):
                print(f"warning: {what}: {why}", file=sys.stderr)
    results = batch.autograde(course, lesson, workers=args.workers, limits=_limits(args), force=args.force,
                              students=args.student or None, progress=not args.quiet)
    counts = Counter(r.status for r in results.values())
    print(f"{lesson}: {len(results)} submission(s): "
          + ", ".join(f"{n} {s}" for s, n in counts.most_common())
          + f"\ndetails: course-grade report {lesson}" + _dir_flag(args))
    return 1 if counts.get(st.GRADER_ERROR) else 0


def _dir_flag(args):
    return f" --course-dir {args.course_dir}" if args.course_dir else ""


def _feedback(args):
    from autograder.feedback import feedback

    course = _course(args)
    lesson = course.lesson(args.lesson)
    done = feedback(course, lesson, show_hidden_tests=args.show_hidden_tests)
    for path in done.paths:
        print(path)
    print(f"{len(done.paths)} feedback file(s) in {course.root / 'feedback'}")
    for student, why in done.failed.items():
        print(f"warning: {student}: nbgrader could not write the feedback ({why}); that student got a short "
              "page with the grading status and score instead", file=sys.stderr)
    return 1 if done.failed else 0


def _export(args):
    from autograder.export import export

    ids = {}
    for pair in args.assignment_id or []:
        lesson, sep, number = pair.partition("=")
        if not sep or not number.strip().isdigit():
            raise LessonError(f"--assignment-id {pair!r}: expected LESSON=NUMBER, e.g. 01_softmax=123456 (the "
                              "number in the assignment's Canvas address)")
        ids[lesson.strip()] = number.strip()
    notes = []
    out = export(_course(args), to=args.to, fmt=args.format, roster=args.roster, assignment_ids=ids,
                 identifier=args.moodle_id, notes=notes)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if args.to == "-":
        sys.stdout.write(out)
    else:
        print(f"grades written to {out}")
    return 0


def _report(args):
    from autograder import report

    course = _course(args)
    lesson = course.lesson(args.lesson)
    rows = report.rows(course, lesson)
    print(report.as_csv(rows) if args.format == "csv" else report.as_text(rows), end="\n")
    return 0


def _sandbox(args):
    from autograder.sandbox import support

    sup = support()
    limits = _limits(args)
    print("enforced on this machine:")
    for what, how in sup.enforced(limits):
        print(f"  {what:<14} {how}")
    print("not enforced:")
    for what, why in sup.missing():
        print(f"  {what:<14} {why}")
    return 0


def _add_limits(p):
    p.add_argument("--timeout", type=float, default=120, metavar="S",
                   help="wall-clock limit per cell, in seconds (default 120)")
    p.add_argument("--notebook-timeout", type=float, default=600, metavar="S",
                   help="wall-clock limit per notebook, in seconds (default 600)")
    p.add_argument("--memory", type=int, default=2048, metavar="MB",
                   help="memory limit of each kernel and everything it starts (default 2048)")
    p.add_argument("--cpu", type=int, default=0, metavar="S",
                   help="CPU-time limit per process, in seconds (default: the notebook timeout)")
    p.add_argument("--max-processes", type=int, default=256, metavar="N",
                   help="processes and threads each kernel may have (default 256)")
    p.add_argument("--output", type=float, default=2, metavar="MB",
                   help="printed output kept per notebook (default 2)")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="course-grade",
        description="Release the course's lessons and grade submissions (wraps nbgrader): "
                    "release -> collect -> autograde -> feedback -> export; report shows the status "
                    "of each submission.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    course_dir = argparse.ArgumentParser(add_help=False)
    course_dir.add_argument("--course-dir", metavar="DIR", default=os.environ.get("COURSE_GRADE_DIR"),
                            help="the grading folder: submitted/, autograded/, feedback/, gradebook.db "
                                 "(default: $COURSE_GRADE_DIR, else the project root)")
    # the commands that work on one lesson of that folder take it first
    one_lesson = argparse.ArgumentParser(add_help=False, parents=[course_dir])
    one_lesson.add_argument("lesson", metavar="LESSON", help="lesson id or unambiguous prefix")

    p = sub.add_parser("release", help="regenerate lessons/ from solutions/, or write the student bundle",
                       description="Regenerate the student notebooks in lessons/ from the instructor "
                                   "notebooks in solutions/ with nbgrader generate_assignment. With --bundle, "
                                   "write what students get instead (lessons/ is not touched): the student "
                                   "notebooks, the course package without the answers of unreleased lessons, "
                                   "a pyproject.toml for `pip install` and a README; no solutions, hidden "
                                   "tests or grader.")
    p.add_argument("lessons", nargs="*", metavar="LESSON",
                   help="lesson ids or unambiguous prefixes (default: every lesson)")
    p.add_argument("--force", action="store_true",
                   help="replace lesson notebooks even if they hold executed cells; with --bundle, replace a "
                        "bundle (folder or zip) written there before")
    p.add_argument("--bundle", metavar="DIR_OR_ZIP",
                   help="write the student bundle to this folder (new or empty), or to this .zip file")
    p.add_argument("--lessons", dest="bundle_lessons", nargs="+", metavar="LESSON",
                   help="with --bundle: the lessons it holds (default: every lesson)")
    p.add_argument("--released", nargs="+", metavar="LESSON",
                   help="with --bundle: lessons whose answers the course package keeps (their library "
                        "references), for later lessons that build on them (default: none)")
    p.set_defaults(func=_release)

    p = sub.add_parser("collect", parents=[course_dir], help="file submissions where nbgrader expects them",
                       description="Take the submissions of LESSON from SOURCE (a folder of per-student "
                                   "folders, or an LMS bulk-download zip with the student id in each file "
                                   "name) and file them as submitted/<student>/<lesson>/<lesson>.ipynb. "
                                   "Reports what was taken, skipped and why. Never overwrites a different "
                                   "submission unless --replace is given, never follows a symbolic link, and "
                                   "refuses ids that differ only by case from another.")
    p.add_argument("source", metavar="SOURCE", help="folder of per-student folders, or a .zip")
    p.add_argument("lesson", metavar="LESSON", help="lesson id or unambiguous prefix")
    p.add_argument("--pattern", metavar="REGEX",
                   help="how to read the student id from the file names (in a zip, or loose in a "
                        "folder) and a zip's top folder names: a regex with a 'student' group, matched "
                        "against the whole name; it replaces the Canvas/Moodle reading (default: Canvas "
                        "'<sortablename>_[LATE_]<userid>_<submissionid>_<file>' and Moodle '<Full Name>_<id>_"
                        "assignsubmission_file_' names are read, anything else as '(?P<student>[^_]+)_.+', "
                        "the text before the first underscore)")
    p.add_argument("--id-from", choices=["id", "name"], default="id",
                   help="for Canvas/Moodle downloads: file each submission under the LMS's user id "
                        "(default; Canvas user id, Moodle participant id) or the student's name")
    p.add_argument("--replace", action="store_true",
                   help="replace submissions already collected (the old ones are kept in grading/replaced/)")
    p.set_defaults(func=_collect)

    p = sub.add_parser("autograde", parents=[one_lesson], help="grade every collected submission",
                       description="Grade every collected submission of LESSON with nbgrader, in parallel "
                                   "worker processes, each kernel in its own sandbox (see `course-grade "
                                   "sandbox`). Deleted or edited test cells are restored from the source. "
                                   "Only new or changed submissions are graded again, unless --force.")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                   help=f"parallel worker processes (default: the number of CPUs, {os.cpu_count()})")
    _add_limits(p)
    p.add_argument("--force", action="store_true", help="grade again even unchanged submissions")
    p.add_argument("--student", action="append", metavar="ID",
                   help="grade only this student (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_autograde)

    p = sub.add_parser("feedback", parents=[one_lesson], help="per-student HTML feedback",
                       description="Write feedback/<student>/<lesson>/<lesson>.html for every autograded "
                                   "student, with nbgrader generate_feedback. The grading status opens the "
                                   "feedback when something was unusual; hidden tests are not shown. A "
                                   "notebook nbgrader cannot convert gets a short page with the status and "
                                   "score instead (the others are not affected) and the command exits with 1.")
    p.add_argument("--show-hidden-tests", action="store_true",
                   help="keep the hidden tests in the feedback's test cells")
    p.set_defaults(func=_feedback)

    p = sub.add_parser("export", parents=[course_dir], help="the grade sheet (csv, or Canvas/Moodle import CSV)",
                       description="Export the gradebook (nbgrader export) with a status and reason for "
                                   "each student and lesson; students whose file could not be collected "
                                   "are listed with zero. --format canvas/moodle writes the LMS's import "
                                   "CSV with per-question scores; incomplete rows are noted on stderr.")
    p.add_argument("--format", choices=["csv", "canvas", "moodle"], default="csv",
                   help="csv: one row per student and lesson (default); canvas / moodle: one row per student "
                        "with a column per graded cell and each lesson's total, as Canvas's gradebook import "
                        "and Moodle's grade import read them")
    p.add_argument("--roster", metavar="CSV",
                   help="who each student is in the LMS: a CSV with student_id (the id collect used) and any "
                        "of name, canvas_id, sis_user_id, sis_login_id, section, email, idnumber, username "
                        "(Canvas's own gradebook export also works); roster students with no submission get "
                        "a row with 0")
    p.add_argument("--assignment-id", action="append", metavar="LESSON=ID",
                   help="canvas: the Canvas assignment id of a lesson's total column (repeatable); without "
                        "it Canvas creates a new assignment")
    p.add_argument("--moodle-id", choices=["email", "idnumber", "username"], default="email",
                   help="moodle: the roster column that identifies users (default email)")
    p.add_argument("--to", metavar="PATH",
                   help="output file (default <course-dir>/grading/grades.csv; '-' for stdout)")
    p.set_defaults(func=_export)

    p = sub.add_parser("report", parents=[one_lesson], help="the status of each submission of a lesson",
                       description="Print one line per student: score, status (graded, timed out, timed out, "
                                   "machine busy (regrade when it is quieter), crashed "
                                   "kernel, memory limit hit, process limit hit, not a valid notebook, "
                                   "cells deleted or tampered, output truncated, not collected) and the "
                                   "reason.")
    p.add_argument("--format", choices=["text", "csv"], default="text", help="output format (default text)")
    p.set_defaults(func=_report)

    p = sub.add_parser("sandbox", help="what the sandbox enforces on this machine",
                       description="Probe this machine and list what the grading sandbox enforces "
                                   "(with the given limits) and what it cannot.")
    _add_limits(p)
    p.set_defaults(func=_sandbox)
    return parser


class Terminated(BaseException):
    """SIGTERM, raised where the program is so that every ``finally`` (workers, sandboxes) runs."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv=None):
    from autograder.sandbox import SandboxError

    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)   # a `kill` stops the batch the way Ctrl-C does
    try:
        return args.func(args)
    except (LessonError, SandboxError) as exc:
        print(f"course-grade {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"course-grade {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"course-grade {args.command}: terminated (SIGTERM); the grades saved so far are kept",
              file=sys.stderr)
        return 143


if __name__ == "__main__":
    raise SystemExit(main())
