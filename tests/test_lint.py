"""The code and the solution notebooks pass ruff, with the settings in pyproject.toml ([tool.ruff])."""

import importlib.util
import subprocess
import sys

import pytest

from conftest import ROOT


def ruff(*args):
    """Run the venv's ruff from the project root; fail (never skip) when it is not installed."""
    if importlib.util.find_spec("ruff") is None:
        pytest.fail("ruff is not installed in this environment: run `make setup` "
                    "(it installs the test tools: pip install -e '.[test]')", pytrace=False)
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_ruff_finds_nothing():
    """Does `ruff check` report nothing on the .py files and the solution notebooks?"""
    result = ruff("check", "--output-format", "concise", ".")
    if result.returncode != 0:
        pytest.fail(f"ruff check found problems (`make lint` shows them, `ruff check --fix` mends some):\n"
                    f"{result.stdout}{result.stderr}", pytrace=False)


def test_ruff_sees_the_solution_notebooks_and_not_the_lessons():
    """Does ruff lint every solution notebook and the course code, and skip the generated lessons/?"""
    result = ruff("check", "--show-files", ".")
    assert result.returncode == 0, result.stderr
    seen = {line.strip() for line in result.stdout.splitlines() if line.strip()}
    notebooks = {str(p) for p in (ROOT / "solutions").glob("*/*.ipynb")}
    assert notebooks, "no notebooks found under solutions/"
    assert sorted(notebooks - seen) == [], "not linted: check extend-include in [tool.ruff]"
    assert str(ROOT / "course" / "mode.py") in seen and str(ROOT / "autograder" / "cli.py") in seen
    generated = sorted(f for f in seen if f.startswith(str(ROOT / "lessons")))
    assert generated == [], "lessons/ is generated from solutions/: exclude it in [tool.ruff]"
