"""The sandbox a student's kernel runs in, checked with harmless probes.

Every probe stays far inside the limits it checks (a loop that stops at the process limit plus
five, a few hundred MB against a limit of 150 MB, short sleeps): the hostile versions run in
test_grader_batch.py, only after these pass.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import status as st
from autograder.execute import SandboxedExecute
from autograder.sandbox import HOME, Limits, Sandbox, Slot, support, sweep_slots
from conftest import ROOT, live_processes

SUPPORT = support()
pytestmark = [
    pytest.mark.notebooks,   # runs kernels: not part of `make check`
    pytest.mark.skipif(not (SUPPORT.bwrap and SUPPORT.root and SUPPORT.cgroup),
                       reason="needs root, bubblewrap and cgroups: " + "; ".join(SUPPORT.problems)),
]

LIMITS = Limits(cell_timeout=10, notebook_timeout=60, memory_mb=300, max_processes=40)


@pytest.fixture(scope="module")
def slot():
    s = Slot.claim()
    yield s
    s.release()


def run(slot, cells, limits=LIMITS, files=None):
    """Execute code cells in the sandbox; return (events, outputs of each cell as text)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    for i, cell in enumerate(nb.cells):
        if cell.source.startswith("# test"):
            cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"t{i}", "points": 1, "locked": True,
                                         "solution": False, "schema_version": 3, "task": False}
    slot.prepare(limits)
    sandbox = Sandbox(slot, limits, "lesson", files or {})
    with open(slot.sockets / "kernel.log", "wb") as log:
        events = SandboxedExecute(sandbox, limits).run(nb, log_file=log)
    slot.kill_all()
    texts = ["".join(o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}" for o in c.outputs)
             for c in nb.cells]
    return events, texts


def statuses(events):
    return [s for s, _ in events]


def test_kernel_runs_unprivileged(slot):
    """Does the kernel run as the slot's own uid, without capabilities and unable to gain any?"""
    _, out = run(slot, ["import os\nprint(os.getuid(), os.getgid())",
                        "print(open('/proc/self/status').read())"])
    assert out[0].split() == [str(slot.uid)] * 2 and slot.uid != 0
    status = dict(line.split(":", 1) for line in out[1].splitlines() if ":" in line)
    assert status["CapEff"].strip() == "0000000000000000"
    assert status["NoNewPrivs"].strip() == "1"


def test_kernel_sees_only_its_files(slot, tmp_path):
    """Does the kernel see its submission and lesson files, but not solutions/, the grader or the host?"""
    (tmp_path / "data.csv").write_text("1,2\n")
    (tmp_path / "gradebook.db").write_text("secret")
    hidden = [str(ROOT / "solutions"), str(ROOT / "autograder"), str(tmp_path / "gradebook.db"),
              "/root/.bash_history"]
    _, out = run(slot, ["import os\nprint(sorted(os.listdir('.')))",
                        f"import os\nprint([os.path.exists(p) for p in {hidden}])",
                        "import course\nprint(course.__name__)",
                        "import autograder"],
                 files={"data.csv": tmp_path / "data.csv"})
    assert out[0].strip() == "['data.csv']"
    assert out[1].strip() == "[False, False, False, False]"
    assert out[2].strip() == "course"
    assert "ModuleNotFoundError" in out[3]


def test_network_is_private(slot):
    """Is a loopback port opened by the grader unreachable, with no interface but the sandbox's own lo?"""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        _, out = run(slot, [f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), "
                            "timeout=3)\n    print('connected')\n"
                            "except OSError as e:\n    print('refused', e)",
                            "import socket\nprint([n for _, n in socket.if_nameindex()])"])
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            pass   # the port works from outside: the refusal above is the sandbox's doing
    assert out[0].startswith("refused")
    assert out[1].strip() == "['lo']"


def test_process_limit_stops_new_processes(slot):
    """Are new processes refused at the limit (a harmless loop that would stop at the limit plus five)?"""
    limits = Limits(cell_timeout=20, notebook_timeout=60, memory_mb=300, max_processes=30)
    events, out = run(slot, ["import subprocess\nprocs = []\ntry:\n    for _ in range(35):\n"
                             "        procs.append(subprocess.Popen(['sleep', '30']))\n"
                             "    print('started', len(procs))\nexcept OSError as e:\n"
                             "    print('refused after', len(procs))\nfor p in procs:\n    p.kill()"], limits)
    assert out[0].startswith("refused after")
    assert int(out[0].split()[-1]) < 30
    assert st.PROCESSES in statuses(events)


def test_memory_limit_kills_the_kernel_only(slot):
    """Is a 250 MB allocation under a 150 MB limit stopped, the test cells after it failed, and said so?"""
    limits = Limits(cell_timeout=20, notebook_timeout=60, memory_mb=150)
    events, out = run(slot, ["import numpy as np\nblocks = []\nfor _ in range(5):\n"
                             "    blocks.append(np.ones(50 * 2**20 // 8))\nprint('allocated')",
                             "# test: must not pass once the kernel is gone\npass"], limits)
    assert "allocated" not in out[0] and "KernelDied" in out[0]
    assert out[1].startswith("NotRun")
    assert statuses(events)[0] == st.MEMORY and "more than 150 MB" in events[0][1]


def test_cell_and_notebook_time_limits(slot):
    """Is a slow cell interrupted while the next still runs, and a slow notebook stopped as a whole?"""
    limits = Limits(cell_timeout=2, notebook_timeout=30)
    events, out = run(slot, ["import time\ntime.sleep(60)", "print('next cell ran')"], limits)
    assert "CellTimeoutError" in out[0] and out[1] == "next cell ran\n"
    assert events == [[st.TIMED_OUT, "cell 1 (`import time`) ran longer than 2 s and was interrupted"]]
    limits = Limits(cell_timeout=10, notebook_timeout=5)
    events, out = run(slot, ["import time\ntime.sleep(3)"] * 3 + ["# test\npass"], limits)
    assert statuses(events)[0] == st.TIMED_OUT and "notebook ran longer than 5 s" in events[0][1]
    assert out[-1].startswith("NotRun")


def test_cpu_time_limit(slot):
    """Is a kernel that burns more CPU time than allowed stopped and reported?"""
    limits = Limits(cell_timeout=30, notebook_timeout=60, cpu_seconds=3)
    events, _ = run(slot, ["while True:\n    pass"], limits)
    assert statuses(events)[0] == st.TIMED_OUT and "CPU time" in events[0][1]


def test_writes_do_not_survive_and_nothing_keeps_running(slot, tmp_path):
    """Do files written in the home and /tmp vanish, and do background processes die with the kernel?"""
    marker = f"probe-{os.getpid()}"
    _, out = run(slot, [f"from pathlib import Path\nfor d in [Path.home(), Path('/tmp'), Path.cwd()]:\n"
                        f"    (d / '{marker}').write_text('x')\nprint('written')",
                        "import subprocess\nsubprocess.Popen(['sleep', '600'])\nprint('started')"])
    assert out == ["written\n", "started\n"]
    assert not any(Path(d, marker).exists() for d in ["/tmp", HOME, Path.home(), "/var/tmp"])
    assert live_processes([slot.uid]) == []


def test_sweep_kills_what_a_lost_worker_left_and_spares_held_slots():
    """After a worker died without cleaning up, does sweep_slots kill and report what runs under its
    free slot, and leave alone a slot another grading run still holds?"""
    lost, held = Slot.claim(), Slot.claim()
    procs = {}
    try:
        for s in (lost, held):
            procs[s.index] = subprocess.Popen(["setpriv", f"--reuid={s.uid}", f"--regid={s.gid}",
                                               "--clear-groups", "sleep", "600"])
        deadline = time.monotonic() + 30
        while len(live_processes([lost.uid, held.uid])) < 2:   # until setpriv has become `sleep`
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs.values())
            time.sleep(0.01)
        os.close(lost._lock_fd)            # the worker is gone: its lock is free, its process is not
        lost._lock_fd = None
        left = sweep_slots([lost.index, held.index])
        assert left == {lost.index: [procs[lost.index].pid]}
        assert procs[lost.index].wait(timeout=10) == -9
        assert procs[held.index].poll() is None and live_processes([held.uid]) == [
            (procs[held.index].pid, "sleep 600")]
    finally:
        held.release()
        lost.release()
        for proc in procs.values():
            proc.kill()
            proc.wait()


def test_sandbox_command_says_what_is_enforced():
    """Does `course-grade sandbox` list the enforced protections and what is not enforced?"""
    out = subprocess.run([sys.executable, "-m", "autograder", "sandbox", "--memory", "500"],
                         capture_output=True, text=True)
    assert out.returncode == 0
    assert "private network namespace" in out.stdout and "500 MB" in out.stdout
    assert "not enforced:" in out.stdout and "disk I/O" in out.stdout
