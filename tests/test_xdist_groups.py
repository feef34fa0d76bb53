"""`make test` runs with `--dist loadgroup`: is a group of tests really kept on one worker?

The lesson self-tests (one group per lesson) and the grader batch (one group) rely on it: a session
fixture built once per group. When grouping silently stops (pytest 9.2 with pytest-xdist 3.8, xdist issue
#1386), every worker builds every group's fixture: the lessons run twice and two grading batches share
the sandbox uids, so one batch's kernels look like leftovers of the other.
"""

import subprocess
import sys

GROUPED = '''
import os
import pytest

pytestmark = pytest.mark.xdist_group("{group}")


@pytest.fixture(scope="session")
def built():
    with open("built-{group}-" + os.environ["PYTEST_XDIST_WORKER"], "w") as f:
        f.write("x")


@pytest.mark.parametrize("i", range(12))
def test_grouped(built, i):
    pass
'''


def test_each_group_runs_on_one_worker(tmp_path):
    """With -n 2 --dist loadgroup, is each group's session fixture built by one worker only?"""
    for group in ("lesson_a", "lesson_b"):
        (tmp_path / f"test_{group}.py").write_text(GROUPED.format(group=group))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q", "-p",
                          "no:cacheprovider", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    for group in ("lesson_a", "lesson_b"):
        builders = sorted(p.name.rsplit("-", 1)[1] for p in tmp_path.glob(f"built-{group}-*"))
        assert len(builders) == 1, (f"group {group} was built by the workers {builders}: `--dist loadgroup` "
                                    "is not grouping (check the pytest and pytest-xdist versions)")
