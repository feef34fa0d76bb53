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
