"""Do a lesson's tests catch the mistakes students make, and accept every correct answer?

Each file tests/variants/v<lesson id>.py (e.g. ``v01_softmax.py``) defines

    LESSON = "01_softmax"
    MISTAKES = {"short_name": {"<grade_id of a solution cell>": "<full replacement source>", ...}, ...}
    ALTERNATIVES = {...the same shape...}
    LOSES = {"short_name": {"<grade_id of a test cell>", ...}, ...}   # optional
    EXTRA_MISTAKES = {...}, EXTRA_ALTERNATIVES = {...}   # optional: graded only with COURSE_VARIANTS=all

and this runner builds every variant as the solution notebook with those solution cells replaced,
grades all variants of one lesson in ONE batch through the real autograder
(`autograder.grading.autograde`: rebuilt, executed in the sandbox, saved by nbgrader), and asserts:

- each alternative (a correct answer written another way) keeps every point (that the unmodified
  solution does is tests/test_lessons.py's test 4, graded once per lesson, not again here);
- each mistake loses at least one point, on every test cell its LOSES entry names (when it has one),
  and the first test cell it fails shows a message that says something (not a bare ``AssertionError``).

Grading is slow (one kernel per submission), so mistakes that replace different solution cells and
whose LOSES sets are disjoint share one submission: each is still checked on its own LOSES cells.
Alternatives that replace different cells share one submission too (it must keep every point).
`make test` grades MISTAKES and ALTERNATIVES; `COURSE_VARIANTS=all` adds each file's EXTRA_MISTAKES
and EXTRA_ALTERNATIVES (more of the same kind, kept out of the default run to keep it fast). The time
of each lesson's batch is printed and written, with each mistake's first failing message, to
build/variants/<lesson>.json.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

VARIANTS = ROOT / "tests" / "variants"
MODULES = sorted(p.stem for p in VARIANTS.glob("v*.py"))
pytestmark = pytest.mark.notebooks


def load(module):
    """The variant module ``tests/variants/<module>.py``, checked against the interface."""
    mod = importlib.import_module(f"variants.{module}")
    assert mod.LESSON == module[1:], f"{module}.py: LESSON = {mod.LESSON!r}, expected {module[1:]!r}"
    loses = getattr(mod, "LOSES", {})
    every = {**mod.MISTAKES, **getattr(mod, "EXTRA_MISTAKES", {})}
    assert set(loses) <= set(every), f"{module}.py: LOSES names unknown mistakes {set(loses) - set(every)}"
    assert not set(every) & (set(mod.ALTERNATIVES) | set(getattr(mod, "EXTRA_ALTERNATIVES", {}))), (
        f"{module}.py: a name is both a mistake and an alternative")
    return mod


def solution(lesson):
    return nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)


def cell_ids(nb):
    """grade_id -> kind ("solution" or "test") of every graded or solution cell."""
    ids = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if "grade_id" in meta:
            ids[meta["grade_id"]] = "test" if meta.get("grade") else "solution" if meta.get("solution") else "other"
    return ids


def replaced(nb, answers):
    """``nb`` with the given solution cells' sources replaced (nbgrader metadata kept)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def mistakes_of(mod, kind="MISTAKES"):
    """The variants this run grades: MISTAKES (or ALTERNATIVES), and their EXTRA_ too with COURSE_VARIANTS=all."""
    extra = getattr(mod, f"EXTRA_{kind}", {}) if os.environ.get("COURSE_VARIANTS") == "all" else {}
    return {**getattr(mod, kind), **extra}


def pack(mistakes, loses, alternatives=False):
    """Group mistakes into submissions: a group's mistakes replace different cells and have disjoint LOSES.

    A mistake without a LOSES entry has a submission of its own (its losses cannot be told apart).
    With ``alternatives=True`` the variants are alternatives: grouped whenever their cells differ.
    Returns a list of lists of variant names.
    """
    groups = []
    for name, answers in mistakes.items():
        if alternatives:
            for group in groups:
                if all(not set(answers) & set(mistakes[other]) for other in group):
                    group.append(name)
                    break
            else:
                groups.append([name])
        elif name in loses:
            for group in groups:
                if all(other in loses and not set(answers) & set(mistakes[other])
                       and not loses[name] & loses[other] for other in group):
                    group.append(name)
                    break
            else:
                groups.append([name])
        else:
            groups.append([name])
    return groups


def first_failure(path, tests, only=None):
    """(grade_id, message) of the first test cell in ``path`` (an autograded notebook) that failed.

    ``only``: look at these test cells only. The message is the error's name and its text.
    """
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid not in tests or (only is not None and gid not in only):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return gid, f"{out.get('ename')}: {out.get('evalue')}".strip()
    return None, None


def grade_lesson(module, tmp_path):
    """Grade every variant of one lesson in one batch; return what the asserts need."""
    from autograder.coursedir import GradingCourse
    from autograder.grading import autograde

    mod = load(module)
    lesson, loses = mod.LESSON, getattr(mod, "LOSES", {})
    base = solution(lesson)
    ids = cell_ids(base)
    mistakes, alternatives = mistakes_of(mod), mistakes_of(mod, "ALTERNATIVES")
    for kind, variants in (("mistake", mistakes), ("alternative", alternatives)):
        for name, answers in variants.items():
            wrong = [gid for gid in answers if ids.get(gid) != "solution"]
            assert not wrong, f"{module}.py: {kind} {name!r} replaces {wrong}, which are not solution cells of {lesson}"
    for name, cells in loses.items():
        wrong = [gid for gid in cells if ids.get(gid) != "test"]
        assert not wrong, f"{module}.py: LOSES[{name!r}] names {wrong}, which are not test cells of {lesson}"

    submissions = {}
    carried = {}                      # submission -> the variants it carries
    for kind, variants, groups in (("mistakes", mistakes, pack(mistakes, loses)),
                                   ("alternatives", alternatives, pack(alternatives, {}, alternatives=True))):
        for i, group in enumerate(groups):
            answers = {gid: src for name in group for gid, src in variants[name].items()}
            submissions[f"{kind}{i:02d}"] = replaced(base, answers)
            carried[f"{kind}{i:02d}"] = group
    paths = {}
    for student, nb in submissions.items():
        paths[student] = tmp_path / f"{student}.ipynb"
        nbformat.write(nb, paths[student])
    start = time.perf_counter()
    grades = autograde(lesson, paths, tmp_path / "course")
    seconds = time.perf_counter() - start
    course = GradingCourse(tmp_path / "course")
    scores = {s: {g.grade_id: (g.score, g.max_score) for g in cells} for s, cells in grades.items()}
    autograded = {s: course.autograded(s, lesson) for s in submissions}
    return mod, scores, carried, autograded, seconds


@pytest.mark.parametrize("module", [pytest.param(m, marks=pytest.mark.xdist_group(f"variants-{m[1:]}"))
                                    for m in MODULES])
def test_mistakes_lose_points_and_alternatives_keep_them(module, tmp_path):
    """Does every mistake of this lesson lose points (on its LOSES cells, with a message that says
    something) while every valid alternative keeps full points?"""
    mod, scores, carried, autograded, seconds = grade_lesson(module, tmp_path)
    loses = getattr(mod, "LOSES", {})
    any_scores = next(iter(scores.values()))     # every submission has the same graded cells
    tests = set(any_scores)
    full = {gid: m for gid, (_, m) in any_scores.items()}
    problems, report = [], {"lesson": mod.LESSON, "seconds": round(seconds, 1),
                            "submissions": len(scores), "mistakes": {}}
    for student, names in carried.items():
        got = scores[student]
        failed = {gid for gid, (s, m) in got.items() if s < m}
        for name in names:
            if student.startswith("alternative"):
                if failed:
                    gid, message = first_failure(autograded[student], tests)
                    problems.append(f"alternative {name!r} (graded together with {names}) loses points on "
                                    f"{sorted(failed)}: {gid}: {message}")
                continue
            want = loses.get(name)
            if want is not None:
                missing = sorted(want - failed)
                if missing:
                    problems.append(f"mistake {name!r} keeps its points on {missing} (it fails {sorted(failed)})")
                gid, message = first_failure(autograded[student], tests, only=want)
            else:
                if not failed:
                    problems.append(f"mistake {name!r} keeps every point ({sum(full.values()):g})")
                gid, message = first_failure(autograded[student], tests)
            if failed and (not message or message.rstrip(": ") in ("AssertionError", "CheckFailure")):
                problems.append(f"mistake {name!r}: the first failing cell {gid} says only {message!r}")
            report["mistakes"][name] = {"fails": sorted(failed & want if want else failed), "first": gid,
                                        "message": (message or "")[:800]}
    out = ROOT / "build" / "variants"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{mod.LESSON}.json").write_text(json.dumps(report, indent=1))
    print(f"{mod.LESSON}: {len(scores)} submissions ({len(mistakes_of(mod))} mistakes, "
          f"{len(mistakes_of(mod, 'ALTERNATIVES'))} alternatives) graded in {seconds:.0f} s")
    assert not problems, f"{mod.LESSON}:\n  " + "\n  ".join(problems)


def test_every_lesson_with_variants_has_enough_of_them():
    """Has each variant file at least 8 mistakes and 2 alternatives, and a lesson that exists?"""
    assert MODULES, "no tests/variants/v*.py"
    for module in MODULES:
        mod = load(module)
        assert (ROOT / "solutions" / mod.LESSON).is_dir(), f"{module}.py: no lesson {mod.LESSON}"
        assert len(mod.MISTAKES) >= 8 and len(mod.ALTERNATIVES) >= 2, (
            f"{module}.py: {len(mod.MISTAKES)} mistakes and {len(mod.ALTERNATIVES)} alternatives (at least 8 and 2)")


def test_mistakes_that_share_a_submission_touch_different_cells():
    """Does the packing put mistakes together only when their cells and LOSES sets are disjoint?"""
    mistakes = {"a": {"f": ""}, "b": {"g": ""}, "c": {"f": ""}, "d": {"h": ""}, "e": {"k": ""}}
    loses = {"a": {"t1"}, "b": {"t2"}, "c": {"t3"}, "d": {"t1"}}
    groups = pack(mistakes, loses)
    assert groups == [["a", "b"], ["c", "d"], ["e"]], groups
    assert pack(mistakes, {}, alternatives=True) == [["a", "b", "d", "e"], ["c"]]
    assert Path(__file__).name == "test_variants.py"
