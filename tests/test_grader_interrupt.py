"""A grading run stopped halfway (SIGTERM, as `kill` or a scheduler sends it) leaves nothing running."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from autograder.sandbox import MAX_SLOTS, UID_BASE, support
from conftest import ROOT, live_processes

SUPPORT = support()
pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.skipif(not (SUPPORT.bwrap and SUPPORT.root and SUPPORT.cgroup),
                       reason="needs root, bubblewrap and cgroups: " + "; ".join(SUPPORT.problems)),
]

UIDS = range(UID_BASE + 2 * MAX_SLOTS, UID_BASE + 3 * MAX_SLOTS)   # uids of their own (test_grader_batch: the next)
LOOP = ROOT / "autograder" / "fixtures" / "01_softmax" / "infinite_loop.ipynb"


def marked(mark):
    """Pids of live processes whose environment carries ``mark`` (the run and everything it started)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if mark.encode() in (proc / "environ").read_bytes():
                if (proc / "status").read_text().split("\nState:", 1)[1].split()[0] != "Z":
                    found.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_sigterm_stops_the_workers_and_their_kernels(tmp_path):
    """Does SIGTERM in the middle of a submission end autograde within seconds, exit code 143 and a
    message, with no worker, resource tracker or sandboxed kernel left running?"""
    mark = f"course-grade-test-{uuid.uuid4().hex}"
    env = dict(os.environ, COURSE_GRADE_UID_BASE=str(UIDS[0]), COURSE_GRADE_TEST_MARK=mark)
    folder = tmp_path / "submissions" / "looper"
    folder.mkdir(parents=True)
    shutil.copy(LOOP, folder / "01_softmax.ipynb")
    course = tmp_path / "course"
    command = [sys.executable, "-m", "autograder"]
    collect = subprocess.run([*command, "collect", str(tmp_path / "submissions"), "01_softmax", "--course-dir",
                              str(course)], env=env, capture_output=True, text=True, timeout=300)
    assert collect.returncode == 0, collect.stderr
    run = subprocess.Popen([*command, "autograde", "01_softmax", "--course-dir", str(course), "--workers", "1",
                            "--timeout", "120", "--notebook-timeout", "300"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        kernel_started = wait_until(lambda: any("ipykernel" in cmd for _, cmd in live_processes(UIDS)), 240)
        assert kernel_started, "the sandboxed kernel never started"
        time.sleep(2)                                  # into the endless loop
        run.send_signal(signal.SIGTERM)
        start = time.monotonic()
        _, err = run.communicate(timeout=60)
        assert time.monotonic() - start < 30
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 143 and "terminated (SIGTERM)" in err, err[-2000:]
    assert live_processes(UIDS) == []
    assert wait_until(lambda: marked(mark) == [], 10), f"still running: {marked(mark)}"
