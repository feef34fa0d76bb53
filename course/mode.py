"""Quick mode versus full mode.

Notebooks run in *full* mode for students and benchmarks. Under test (``COURSE_QUICK=1``) and while
nbgrader executes a notebook (it sets ``NBGRADER_EXECUTION``), they run in *quick* mode: long training
runs shrink and widgets are not displayed, so grading stays fast.
"""

import os


def grading():
    """True while nbgrader executes the notebook (autograde or validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def quick():
    """True when heavy cells should run a reduced version (under test or while grading)."""
    flag = os.environ.get("COURSE_QUICK", "").strip().lower()
    return grading() or flag not in ("", "0", "false", "no")


def pick(full, quick_value):
    """Return ``quick_value`` in quick mode and ``full`` otherwise (e.g. ``num_epochs = pick(10, 1)``)."""
    return quick_value if quick() else full
