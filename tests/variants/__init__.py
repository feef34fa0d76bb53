"""Mistake variants and valid alternatives of each lesson, graded by tests/test_variants.py.

``edit(lesson, grade_id, (old, new), ...)`` is the source of a solution cell of the lesson's
solution notebook with each ``old`` text (which must occur exactly once) replaced by ``new``: a
variant that differs from the solution by one line reads as that line.
"""

from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


@lru_cache(maxsize=None)
def _sources(lesson):
    import nbformat

    nb = nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def edit(lesson, grade_id, *replacements):
    """The solution cell ``grade_id`` of ``lesson`` with each (old, new) pair applied once."""
    source = _sources(lesson)[grade_id]
    for old, new in replacements:
        count = source.count(old)
        if count != 1:
            raise ValueError(f"{lesson} {grade_id}: {old!r} occurs {count} times in the solution cell, not once")
        source = source.replace(old, new)
    return source


def edits(lesson):
    """``_e(grade_id, (old, new), ...)`` for ``lesson``: {grade_id: that solution cell, edited as :func:`edit` does}."""
    def _e(grade_id, *replacements):
        return {grade_id: edit(lesson, grade_id, *replacements)}
    return _e
