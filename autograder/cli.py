"""``course-grade``: the instructor's command (also ``python -m autograder``)."""

from __future__ import annotations

import argparse
import sys

from autograder.lessons import LessonError


def _release(args):
    from autograder.release import release

    release(args.lessons, force=args.force)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="course-grade",
        description="Release the course's lessons and grade submissions (wraps nbgrader).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", help="regenerate lessons/ from solutions/",
                       description="Regenerate the student notebooks in lessons/ from the instructor "
                                   "notebooks in solutions/ with nbgrader generate_assignment.")
    p.add_argument("lessons", nargs="*", metavar="LESSON",
                   help="lesson ids or unambiguous prefixes (default: every lesson)")
    p.add_argument("--force", action="store_true",
                   help="replace lesson notebooks even if they hold executed cells")
    p.set_defaults(func=_release)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LessonError as exc:
        print(f"course-grade {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
