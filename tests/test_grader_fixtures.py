"""The grader's example submissions are built from today's lesson 01: a change to the lesson shows here first.

If lesson 01's released notebook changes (a test cell, a message) and the fixtures are not rebuilt,
every fixture holds test cells that no longer match the source, and the batch tests report them all
as "tampered" without saying why. This test says why, in a second, and how to fix it.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "autograder" / "fixtures"


def _content(path):
    """A notebook without its cells' random ids (build.py's added cells get new ones each run); else its bytes."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return path.read_bytes()                      # invalid_json.ipynb and empty.ipynb, on purpose
    for cell in nb.get("cells", []):
        cell.pop("id", None)
    return nb


def test_fixtures_are_what_build_py_writes_from_the_released_lesson(tmp_path):
    """Are the committed fixtures (cell ids aside) what autograder/fixtures/build.py writes from lessons/01_softmax?"""
    spec = importlib.util.spec_from_file_location("fixtures_build", FIXTURES / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    names = build.build(out=tmp_path)
    committed = sorted(p.name for p in (FIXTURES / "01_softmax").glob("*.ipynb"))
    assert names == committed, f"build.py writes {names}, autograder/fixtures/01_softmax holds {committed}"
    stale = [name for name in names if _content(tmp_path / name) != _content(FIXTURES / "01_softmax" / name)]
    assert not stale, (f"these fixtures are not what build.py writes from today's lessons/01_softmax: {stale}; "
                       "run `.venv/bin/python autograder/fixtures/build.py` and commit the result")
