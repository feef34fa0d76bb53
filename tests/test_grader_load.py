"""A timeout that the machine caused is not the student's (execute.py, worker.py).

Before: on a loaded machine, correct submissions ran out of time in the lesson's own import cell and
scored 0-7 of 13 as "timed out", with no retry. Now the lesson's own cells, as released, get the setup
limit (Limits.setup_timeout), and a timeout during which the kernel waited for a CPU longer than it
ran is reported as "timed out, machine busy" and graded a second time. To make the machine busy on
purpose, the kernel and four busy loops share one CPU (taskset, sched_setaffinity); a student's slow code (a loop that
needs more CPU than the limit, or a sleep) is still "timed out".
"""

import os
import subprocess
import sys
import time

import nbformat
import pytest

from autograder import status as st
from autograder.execute import SandboxedExecute
from autograder.sandbox import Limits, support
from autograder.worker import lesson_cells
from conftest import ROOT

LESSON = "01_softmax"
SUPPORT = support()
SOLUTION = ROOT / "solutions" / LESSON / f"{LESSON}.ipynb"
# a fixed amount of work: about 1.5 s of one CPU here; the cell limit below is 4 s. The kernel moves
# itself onto the CPU the busy loops share (any process may choose its own CPUs).
WORK = "import os\nos.sched_setaffinity(0, {{{cpu}}})\nx = 0\nfor i in range(30_000_000):\n    x += i"
SLEEP = "import time\ntime.sleep(60)"

GRADE = """
import json, sys
from pathlib import Path
from autograder.grading import autograde
from autograder.coursedir import GradingCourse
from autograder.sandbox import Limits
from autograder import status as st
if __name__ == "__main__":
    tmp = Path(sys.argv[1])
    limits = Limits(cell_timeout=4, notebook_timeout=300)
    grades = autograde("01_softmax", {s: tmp / f"{s}.ipynb" for s in sys.argv[2:]}, tmp / "course",
                       limits=limits, workers=1)
    course = GradingCourse(tmp / "course")
    print(json.dumps({s: st.Result.load(course.result_path(s, "01_softmax")).to_json() for s in sys.argv[2:]}))
"""


def with_cell(code):
    nb = nbformat.read(SOLUTION, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    nb.cells.insert(first, nbformat.v4.new_code_cell(code))
    return nb


def test_the_lessons_own_cells_get_the_setup_limit():
    """Does a lesson cell left as released get the setup limit, and an edited or new one the cell limit?"""
    template = nbformat.read(SOLUTION, as_version=4)
    own = lesson_cells(template)
    setup = next(c for c in template.cells if c.cell_type == "code" and c.source in own)
    limits = Limits(cell_timeout=10, notebook_timeout=600)
    execute = SandboxedExecute(None, limits, lesson_cells=own)
    assert execute.cell_limit(setup) == limits.setup_timeout == 40
    assert execute.cell_limit(nbformat.v4.new_code_cell(setup.source + "\n# mine")) == 10
    answers = [c for c in template.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert answers and all(execute.cell_limit(c) == 10 for c in answers)
    assert Limits(cell_timeout=100, notebook_timeout=150).setup_timeout == 150   # never past the notebook's


@pytest.mark.notebooks
@pytest.mark.xdist_group("grader-load")
@pytest.mark.skipif(not SUPPORT.bwrap, reason="needs bubblewrap: " + "; ".join(SUPPORT.problems))
def test_a_timeout_on_a_busy_machine_is_told_apart_and_regraded(tmp_path):
    """Work that fits the limit on an idle CPU, run on a CPU shared with four busy loops: "timed out,
    machine busy", graded twice, the wait in the reason. A sleep past the limit: plain "timed out"."""
    import json

    cpu = sorted(os.sched_getaffinity(0))[0]
    for student, code in {"work": WORK.format(cpu=cpu), "sleeper": SLEEP}.items():
        (tmp_path / student).mkdir()
        nbformat.write(with_cell(code), tmp_path / student / f"{student}.ipynb")
    script = tmp_path / "grade.py"
    script.write_text(GRADE)

    def grade(student):
        run = subprocess.run([sys.executable, str(script), str(tmp_path / student), student],
                             capture_output=True, text=True, timeout=1200, cwd=ROOT)
        assert run.returncode == 0, run.stderr[-3000:]
        return st.Result.from_json(json.loads(run.stdout.splitlines()[-1])[student])

    # each in a session of its own: with the scheduler's autogroups, loops sharing one session would
    # share one slice of the CPU between them
    hogs = [subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c", "while True: pass"],
                             start_new_session=True) for _ in range(4)]
    try:
        time.sleep(1)
        work = grade("work")
    finally:
        for hog in hogs:
            hog.kill()
    assert work.status == st.BUSY, (work.status, work.reason)
    assert "the machine was busy: the kernel waited" in work.reason, work.reason
    assert "graded a second time" in work.reason, work.reason
    sleeper = grade("sleeper")   # no busy loops: the student's own wait
    assert sleeper.status == st.TIMED_OUT, (sleeper.status, sleeper.reason)
    assert "machine was busy" not in sleeper.reason and "second time" not in sleeper.reason, sleeper.reason


@pytest.mark.parametrize("run, wait, busy", [(2e9, 10e9, True), (10e9, 2e9, False), (5e9, 9e9, False),
                                             (0, 0.5e9, False), (0, 0, False)])
def test_busy_means_waiting_for_a_cpu_twice_as_long_as_running(run, wait, busy):
    """Is a timeout the machine's only when the kernel waited (over a second) twice as long as it ran?"""
    execute = SandboxedExecute(None, Limits(), lesson_cells=())
    execute.sched_times = lambda: (run, wait)
    said = execute.busy((0, 0))
    assert bool(said) == busy, said
    if busy:
        assert said == "the machine was busy: the kernel waited 10 s for a CPU and ran 2 s"
