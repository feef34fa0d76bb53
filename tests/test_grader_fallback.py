"""Grading still works where the sandbox cannot be built, and says what is then not enforced."""

from dataclasses import replace

import nbformat
import pytest

from autograder import status as st
from autograder.execute import SandboxedExecute
from autograder.sandbox import Limits, Sandbox, Slot, Support, support

pytestmark = pytest.mark.notebooks


@pytest.fixture
def degraded():
    """This machine's support, minus bubblewrap and cgroups (as on a laptop without them)."""
    real = support()
    return replace(real, bwrap=None, cgroup=None, problems=["bubblewrap is not installed"],
                   switch_user=False)


def test_missing_protections_are_listed(degraded):
    """Without bubblewrap and cgroups, are the filesystem, network and process count listed as missing?"""
    missing = dict(degraded.missing())
    assert "not isolated" in missing["filesystem"] and "bubblewrap is not installed" in missing["filesystem"]
    assert "not isolated" in missing["network"]
    assert "not capped" in missing["process count"]
    enforced = dict(degraded.enforced(Limits(memory_mb=700)))
    assert enforced["memory"] == "RLIMIT_AS (address space), 700 MB"


def test_a_notebook_still_runs_with_limits(degraded, tmp_path):
    """Does a kernel without the sandbox run a notebook, see its lesson files, and time out a slow cell?"""
    (tmp_path / "data.csv").write_text("1,2\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in [
        "import os\nprint(sorted(f for f in os.listdir('.')))",
        "import time\ntime.sleep(30)",
        "print('after')"]])
    slot = Slot.claim(degraded)
    limits = Limits(cell_timeout=2, notebook_timeout=60, memory_mb=1000)
    try:
        slot.prepare(limits)
        sandbox = Sandbox(slot, limits, "lesson", {"data.csv": tmp_path / "data.csv"})
        sandbox.host_setup()
        try:
            events = SandboxedExecute(sandbox, limits).run(nb)
        finally:
            sandbox.host_cleanup()
    finally:
        slot.release()
    assert nb.cells[0].outputs[0]["text"] == "['data.csv']\n"
    assert [s for s, _ in events] == [st.TIMED_OUT]
    assert nb.cells[2].outputs[0]["text"] == "after\n"


def test_support_is_a_plain_record():
    """Can a Support be built by hand (e.g. to describe another machine)?"""
    s = Support(bwrap="/usr/bin/bwrap", root=True, cgroup="v2", switch_user=True)
    assert ("network", "private network namespace (loopback only)") in s.enforced()
