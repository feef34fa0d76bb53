"""Shared fixtures: the project's paths, and quick mode for every notebook the tests run."""

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # tests draw figures without a screen

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def quick_mode():
    """Notebooks executed by the tests run their reduced 'quick' variants of heavy cells."""
    old = os.environ.get("COURSE_QUICK")
    os.environ["COURSE_QUICK"] = "1"
    yield
    if old is None:
        os.environ.pop("COURSE_QUICK", None)
    else:
        os.environ["COURSE_QUICK"] = old


def live_processes(uids):
    """Processes (zombies aside) whose real uid is in ``uids``: a list of (pid, command line)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            status = (proc / "status").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue   # not a process folder, or the process ended while we looked
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["Uid"].split()[0]) in uids and not fields["State"].strip().startswith("Z"):
            found.append((int(proc.name), cmdline.strip()))
    return found


# Longest groups first (`make test` runs with --no-loadscope-reorder, which keeps this order): xdist would
# otherwise order groups by their number of tests, so the variant batches (one test each, minutes
# each) came last and one worker ran the final ones while the other sat idle.
FIRST = ("browser", "variants-", "grader-trusted-keras", "grader-batch", "grader-withhold", "grader-trusted")


def _group(item):
    marker = item.get_closest_marker("xdist_group")
    return (marker.args[0] if marker.args else marker.kwargs.get("name", "")) if marker else ""


def _rank(item):
    group = _group(item)
    rank = next((k for k, prefix in enumerate(FIRST) if group.startswith(prefix)), len(FIRST))
    # The later lessons' variant batches are the longest (Keras models, LeNet-5): those first.
    return (rank, tuple(-ord(c) for c in group) if group.startswith("variants-") else ())


def pytest_collection_modifyitems(config, items):
    """Put the longest groups first; a stable sort keeps every group's tests in their order."""
    items.sort(key=_rank)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under `make test` (COURSE_NO_SKIPS=1: CI and every full run) a skipped test is a failed one.

    The full suite must run everything it has: a missing browser, sandbox tool or package is a
    broken install, and saying "skipped" would hide it. `make check` and single files may still skip.
    """
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("COURSE_NO_SKIPS") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"{item.nodeid} was skipped ({reason}), but `make test` runs every test: "
                           "install what it needs (`make setup`, and see .ci/run for the system packages)")
