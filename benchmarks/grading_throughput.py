"""Grading throughput: submissions per minute for 40 submissions of lesson 01.

Three runs over the same 40 submissions (the correct, partly correct and blank example submissions of
autograder/fixtures/01_softmax/, under 40 student ids), each in a fresh course folder whose gradebook
already knows the lesson (that one-time step is not timed):

1. ``course-grade autograde`` with 1 worker, sandbox on;
2. ``course-grade autograde`` with 2 workers, sandbox on;
3. plain ``nbgrader autograde`` (serial, no sandbox), for comparison.

Prints the figures; asserts nothing. Run: ``.venv/bin/python benchmarks/grading_throughput.py``
(``--count``, ``--workers`` to change the runs; ``--skip-nbgrader`` to leave out run 3).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.coursedir import GradingCourse  # noqa: E402
from autograder.lessons import SOLUTIONS  # noqa: E402
from autograder.release import nbgrader  # noqa: E402
from autograder.sandbox import support  # noqa: E402

LESSON = "01_softmax"
FIXTURES = ROOT / "autograder" / "fixtures" / LESSON
KINDS = ["correct", "partial", "blank"]


def fill(course_root, count):
    """Put ``count`` submissions in course_root/submitted/, cycling through the example kinds."""
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        target = Path(course_root) / "submitted" / f"student{i:03d}" / LESSON / f"{LESSON}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(FIXTURES / f"{kind}.ipynb", target)


def run_course_grade(count, workers, scratch):
    root = Path(scratch) / f"course-grade-{workers}"
    fill(root, count)
    GradingCourse(root).prepare(LESSON)   # the gradebook knows the lesson: not timed
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "autograder", "autograde", LESSON, "--course-dir", root,
                           "--workers", str(workers), "--quiet"], capture_output=True, text=True)
    seconds = time.monotonic() - start
    if proc.returncode:
        raise SystemExit(f"course-grade autograde failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout.strip().splitlines()[0]


def run_nbgrader(count, scratch):
    root = Path(scratch) / "nbgrader"
    root.mkdir()
    options = [f"--CourseDirectory.root={root}", f"--CourseDirectory.source_directory={SOLUTIONS}",
               f"--CourseDirectory.release_directory={root / 'release'}",
               f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}"]
    nbgrader("generate_assignment", LESSON, "--force", "--log-level=WARN", *options)   # not timed
    fill(root, count)
    start = time.monotonic()
    nbgrader("autograde", LESSON, "--force", "--log-level=WARN", *options)
    return time.monotonic() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="number of submissions (default 40)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    parser.add_argument("--skip-nbgrader", action="store_true", help="leave out plain nbgrader autograde")
    args = parser.parse_args(argv)

    sup = support()
    print(f"{args.count} submissions of {LESSON} ({', '.join(KINDS)}), {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} (other work on the machine slows every run)")
    print("sandbox: " + ", ".join(what for what, _ in sup.enforced()))
    figures = []
    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as scratch:
        for workers in args.workers:
            seconds, summary = run_course_grade(args.count, workers, scratch)
            figures.append((f"course-grade autograde, {workers} worker{'s' * (workers > 1)}, sandbox on",
                            seconds))
            print(f"  ({summary})")
        if not args.skip_nbgrader:
            figures.append(("nbgrader autograde, serial, no sandbox", run_nbgrader(args.count, scratch)))
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"{'run':<52} {'seconds':>8} {'submissions/minute':>19}")
    for name, seconds in figures:
        print(f"{name:<52} {seconds:8.1f} {args.count / seconds * 60:19.1f}")


if __name__ == "__main__":
    main()
