"""The student bundle (`course-grade release --bundle`): what students get holds no answer, and it runs.

The fast tests check the pieces (the rewrite of a module, the table of what each lesson needs, the
refusals). The heavy ones build five bundles through the command line, each once on the worker of its own
xdist group, each releasing only what its lessons need: lessons 01 and 04 in a folder (every answer but
those of 01 and 02 left out), lesson 07 with its own answers as a zip, lesson 07 without them in a folder,
lesson 09 in a folder, and every lesson as a zip. They check the files' contents, that a bundle imports
and installs from its own folder,
and that a student who did the work passes every cell of lessons 01, 04, 07 and 09 with nothing but the
bundle: the solution cells in the bundle's notebook, executed in quick mode against the bundled package.
Those lessons stand for the rest (01 and 04 use the library little, 07 trains with it, 09 builds on the
optimizers and layers of earlier lessons); running every lesson would take longer than the suite allows.
A lesson's given cells call the student's own functions, never the library's answers of the same lesson
(lesson 07 trains with the student's `train` and `adam`, not with course.nn.fit): a bundle of lesson 07
without --released 07 runs.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import bundle
from autograder.lessons import LESSONS, SOLUTIONS, LessonError, lesson_ids, resolve
from conftest import ROOT
from course.nn.references import REFERENCES

SOLUTION_RE = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.S)
HIDDEN_RE = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")



def heavy(name):
    """Mark a test of bundle ``name``: each bundle is built once, on the one worker of its xdist group."""
    def mark(test):
        return pytest.mark.notebooks(pytest.mark.xdist_group(group(name))(test))
    return mark


def group(name):
    return f"grader-bundle-{name}"


def per_bundle(*names):
    """Parameters of a test run once per bundle, each in its bundle's xdist group."""
    return [pytest.param(n, marks=pytest.mark.xdist_group(group(n))) for n in names]


def course_grade(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=1800)


def lessons_needed(lessons):
    """The lessons whose answers a bundle of ``lessons`` must release (from the NEEDS table)."""
    return sorted({owner for lesson in lessons for owners in bundle.needs(lesson).values() for owner in owners})


def numbers(lessons):
    return [lesson.split("_")[0] for lesson in lessons]


# -- the pieces ---------------------------------------------------------------------------------------------

MODULE = '''"""A module."""
import numpy as np

TABLE = {}


def answer(x, y=1):
    """The answer.

    More about it.
    """
    # how it works
    z = np.sum(x) * y
    return z + 41


def other(x):
    return answer(x) - 1
'''


def test_rewrite_replaces_only_the_answer_body(tmp_path):
    """Does the rewrite leave the rest of the module byte for byte, and make the answer raise its message?"""
    owners = [("07_optimizers", "answer")]
    out = bundle.rewrite_module(MODULE, {"answer": bundle.strip_statements("m.answer", owners)})
    assert "np.sum(x)" not in out and "how it works" not in out and "More about it" not in out
    assert out.startswith('"""A module."""\nimport numpy as np\n\nTABLE = {}\n\n\ndef answer(x, y=1):\n')
    assert out.endswith("def other(x):\n    return answer(x) - 1\n")
    namespace = {}
    exec(compile(out, "m.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r"answer to lesson 07's exercise `answer`; it is part of the "
                                                   r"course once your instructor releases lesson 07"):
        namespace["other"](1)


def test_rewrite_refuses_a_missing_function():
    """Is a reference that is not a function of its module named, with the fix?"""
    with pytest.raises(LessonError, match=r"no function `nothing` at module level"):
        bundle.rewrite_module(MODULE, {"nothing": ["pass"]})


def test_every_reference_can_be_stripped(tmp_path):
    """Does every reference of every lesson name a module-level function that the bundle can rewrite?"""
    rewritten = bundle.copy_package(tmp_path)
    assert set(rewritten) == set(bundle.answers())
    for dotted in rewritten:
        path, name = bundle.module_file(dotted, tmp_path / "course")
        node = bundle._function(ast.parse(path.read_text()), name, path)
        assert isinstance(node.body[-1], ast.Raise) and len(node.body) == 2, dotted


def test_same_name_library_functions_are_classified():
    """Is every library function named like a graded function either withheld or explained as no answer?"""
    graded = {name for table in REFERENCES.values() for name in table}
    known = set(bundle.answers()) | set(bundle.SAME_NAME_NOT_ANSWERS)
    unclassified = []
    for path in sorted((ROOT / "course").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name in graded and f"{module}.{node.name}" not in known:
                unclassified.append(f"{module}.{node.name}")
    assert unclassified == [], ("add these to SAME_NAME_ANSWERS (withheld) or SAME_NAME_NOT_ANSWERS (with the "
                                "reason) in autograder/bundle.py")


def test_needs_table_covers_every_lesson():
    """Does NEEDS have a line for every lesson, naming only references the bundle knows?"""
    assert sorted(bundle.NEEDS) == lesson_ids(), "measure the new lessons: python -m autograder.bundle probe ID"
    known = set(bundle.answers())
    for lesson, names in bundle.NEEDS.items():
        assert set(names) <= known, f"{lesson}: {sorted(set(names) - known)} are not references"


def test_an_unprobed_lesson_is_refused(monkeypatch):
    """Is a lesson missing from NEEDS refused with the command that measures it?"""
    monkeypatch.setattr(bundle, "NEEDS", {k: v for k, v in bundle.NEEDS.items() if k != "01_softmax"})
    with pytest.raises(LessonError, match=r"python -m autograder\.bundle probe 01_softmax"):
        bundle.missing_releases(["01_softmax"], [])


def test_a_missing_release_is_refused_with_the_fix(tmp_path):
    """Does a lesson that needs an unreleased lesson's answers stop the bundle, saying what to add?"""
    lesson = "09_lenet5" if "07_optimizers" in lessons_needed(["09_lenet5"]) else next(
        lesson for lesson in lesson_ids() if any(o != lesson for o in lessons_needed([lesson])))
    earlier = "07_optimizers" if lesson == "09_lenet5" else next(o for o in lessons_needed([lesson]) if o != lesson)
    dotted = next(d for d, owners in bundle.needs(lesson).items() if earlier in owners)
    companion = next(other for other in lesson_ids() if other != lesson)
    out = course_grade("release", "--bundle", tmp_path / "b", "--lessons", companion, lesson)
    num, other = lesson.split("_")[0], earlier.split("_")[0]
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"lesson {num} needs " in out.stderr and f"lesson {other}'s answers (" in out.stderr
    assert dotted in out.stderr
    assert re.search(rf"add --released [0-9 ]*\b{other}\b", out.stderr)
    assert f"or leave {num} out with --lessons {companion.split('_')[0]}" in out.stderr
    assert not (tmp_path / "b").exists()


def test_a_lesson_that_calls_its_own_answers_says_so(monkeypatch):
    """Were lesson 07's given cells to call its own answers, would its bundle be refused, saying so?"""
    needs = dict(bundle.NEEDS, **{"07_optimizers": ["course.nn.train.fit", "course.nn.init.he_normal"]})
    monkeypatch.setattr(bundle, "NEEDS", needs)
    [problem] = bundle.missing_releases(["07_optimizers"], ["02"])
    assert "lesson 07 needs its own answers (course.nn.train.fit;" in problem
    assert "runs only with --released 07, which hands them to students" in problem
    assert "add --released 03 07, or bundle other lessons" in problem


# lessons whose given cells call the student's functions where they used to call the library's answers
OWN_ANSWERS_FIXED = resolve(["06", "07", "09", "11", "13", "14"])


@pytest.mark.parametrize("lesson", OWN_ANSWERS_FIXED)
def test_a_lesson_does_not_need_its_own_answers(lesson):
    """Does running the lesson (NEEDS) call none of its own answers, so that it runs without releasing them?"""
    own = sorted(d for d, owners in bundle.needs(lesson).items() if lesson in owners)
    assert own == [], f"{lesson}'s given cells call the library's answers of its own exercises: {own}"
    assert bundle.missing_releases([lesson], [o for o in lessons_needed([lesson]) if o != lesson]) == []


def test_needs_table_is_what_the_probe_prints():
    """Is NEEDS written in the probe's own format (so a new measurement replaces it whole)?"""
    assert bundle.format_needs(bundle.NEEDS) in Path(bundle.__file__).read_text()


@heavy("early")
def test_probe_measures_the_table():
    """Does probing lesson 01 again (its solved notebook, quick mode) find exactly NEEDS's line?"""
    assert bundle.probe(["01"], log=lambda s: None) == {"01_softmax": bundle.NEEDS["01_softmax"]}


def test_destinations_that_hold_something_are_kept(tmp_path):
    """Are a non-empty folder, a foreign folder (even with --force), an existing zip and the project refused?"""
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("my work")
    with pytest.raises(LessonError, match=r"not empty; pass --force"):
        bundle._check_destination(busy, force=False)
    with pytest.raises(LessonError, match=r"holds no earlier bundle"):
        bundle._check_destination(busy, force=True)
    (tmp_path / "old.zip").write_bytes(b"PK")
    with pytest.raises(LessonError, match=r"the file exists; pass --force"):
        bundle._check_destination(tmp_path / "old.zip", force=False)
    assert bundle._check_destination(tmp_path / "old.zip", force=True) == "zip"
    for protected in (ROOT, ROOT / "solutions" / "x", ROOT.parent):
        with pytest.raises(LessonError, match=r"a folder of its own"):
            bundle._check_destination(protected, force=True)
    assert (busy / "mine.txt").read_text() == "my work"


def test_cli_options_go_together(tmp_path):
    """Are --released without --bundle, and lessons given without --lessons, refused with the fix?"""
    out = course_grade("release", "--released", "01")
    assert out.returncode == 1 and "go with --bundle" in out.stderr
    out = course_grade("release", "01", "--bundle", tmp_path / "b")
    assert out.returncode == 1 and "--lessons 01" in out.stderr
    out = course_grade("release", "--bundle", tmp_path / "b", "--lessons", "99_nothing")
    assert out.returncode == 1 and "not a lesson" in out.stderr


# -- the bundles --------------------------------------------------------------------------------------------

EARLY = resolve(["01", "04"])
SEVEN = resolve(["07"])   # released with (seven_released) and without (seven) its own answers
LENET = resolve(["09"])


class Bundles(dict):
    """{name: (folder, lessons, released, target)}: each bundle built through the command line on first use."""

    # name: (lessons, also release the lessons themselves, where); each releases what its lessons need
    PLAN = {"early": (EARLY, False, "early"), "seven_released": (SEVEN, True, "seven.zip"),
            "seven": (SEVEN, False, "seven"),
            "lenet": (LENET, False, "lenet"), "everything": (lesson_ids(), False, "everything.zip")}

    def __init__(self, base):
        super().__init__()
        self.base = base

    def __missing__(self, name):
        lessons, release_them, target = self.PLAN[name]
        released = sorted(set(lessons_needed(lessons)) | (set(lessons) if release_them else set()))
        target = self.base / target
        args = ["release", "--bundle", target, "--lessons", *numbers(lessons)]
        if released:
            args += ["--released", *numbers(released)]
        out = course_grade(*args)
        assert out.returncode == 0, out.stdout + out.stderr
        folder = target
        if target.suffix == ".zip":
            with zipfile.ZipFile(target) as zf:
                tops = {Path(n).parts[0] for n in zf.namelist()}
                assert tops == {target.stem}, f"the zip should hold one top folder, not {tops}"
                zf.extractall(self.base / "unzipped")
            folder = self.base / "unzipped" / target.stem
        self[name] = (folder, lessons, released, target)
        return self[name]


@pytest.fixture(scope="session")
def bundles(tmp_path_factory):
    """The bundles of the heavy tests, each built once (on the one worker of their xdist group)."""
    return Bundles(tmp_path_factory.mktemp("bundles"))


def secrets(folder):
    """Every lesson's solution lines and hidden-test lines that no student notebook holds (lessons/, and the
    bundle's own, fresh from solutions/ even when lessons/ is behind)."""
    public, solution_lines, hidden_lines = set(), {}, {}
    notebooks = [LESSONS / lesson / f"{lesson}.ipynb" for lesson in lesson_ids()]
    for path in notebooks + sorted((folder / "lessons").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            public.update(line.strip() for line in cell.source.splitlines())
    for lesson in lesson_ids():
        nb = nbformat.read(SOLUTIONS / lesson / f"{lesson}.ipynb", as_version=4)
        for regex, into in ((SOLUTION_RE, solution_lines), (HIDDEN_RE, hidden_lines)):
            into[lesson] = {line.strip() for cell in nb.cells for block in regex.findall(cell.source)
                            for line in block.splitlines() if len(line.strip()) > 12} - public
    return solution_lines, hidden_lines


@pytest.mark.notebooks
@pytest.mark.parametrize("name", per_bundle("early", "seven_released", "everything"))
def test_bundle_holds_no_solution_and_no_hidden_test(bundles, name):
    """Does no file of the bundle hold a marker, a hidden-test line, or (outside the library) a solution line?"""
    folder, lessons, _, _ = bundles[name]
    solution_lines, hidden_lines = secrets(folder)
    files = [p for p in folder.rglob("*") if p.is_file()]
    names = {p.relative_to(folder).parts[0] for p in files}
    assert names <= {"lessons", "course", "jupyterlab", "README.md", "pyproject.toml", bundle.MARKER}, names
    assert sorted(p.name for p in (folder / "lessons").iterdir()) == lessons
    found = []
    for path in files:
        text = path.read_text(errors="replace")
        rel = path.relative_to(folder)
        found += [f"{rel}: {m}" for m in MARKERS if m in text]
        if path.suffix == ".ipynb":   # a notebook's lines are in its cells, not in its JSON
            text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
        lines = {line.strip() for line in text.splitlines()}
        for lesson in lesson_ids():
            found += [f"{rel}: hidden test of {lesson}: {line}" for line in hidden_lines[lesson] & lines]
            if rel.parts[0] != "course":   # the library is checked function by function below
                found += [f"{rel}: solution of {lesson}: {line}" for line in solution_lines[lesson] & lines]
    assert found == []


def function_bodies(path):
    """{name: [source lines of the body, docstring left out]} of a module's top-level functions."""
    text = Path(path).read_text()
    out = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            out[node.name] = [line.strip() for stmt in body
                              for line in ast.get_source_segment(text, stmt, padded=True).splitlines()
                              if line.strip()]
    return out


def outside_function(path, func):
    """The stripped lines of a module outside its top-level function ``func``."""
    text = Path(path).read_text()
    node = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == func)
    lines = text.splitlines()
    return {line.strip() for line in lines[:node.lineno - 1] + lines[node.end_lineno:]}


@pytest.mark.notebooks
@pytest.mark.parametrize("name", per_bundle("early", "seven_released", "everything"))
def test_library_holds_no_answer_of_an_unreleased_lesson(bundles, name):
    """Is every reference of an unreleased lesson a raise naming its lesson, with none of its body's lines left
    anywhere in its module, while the released ones are intact?"""
    folder, _, released, _ = bundles[name]
    refs = {}
    for lesson, table in REFERENCES.items():
        for graded, dotted in table.items():
            if dotted:
                refs.setdefault(dotted, set()).add(lesson)
    for dotted, owners in bundle.SAME_NAME_ANSWERS.items():
        refs.setdefault(dotted, set()).update(lesson for lesson, _ in owners)
    stripped = 0
    for dotted, owners in sorted(refs.items()):
        module, _, func = dotted.rpartition(".")
        rel = Path(*module.split("."))
        rel = rel / "__init__.py" if (ROOT / rel).is_dir() else rel.with_suffix(".py")
        repo, mine = function_bodies(ROOT / rel), function_bodies(folder / rel)
        if owners <= set(released):
            assert mine[func] == repo[func], f"{dotted} is released: its body must be the library's"
            continue
        stripped += 1
        # lines of the body found nowhere else in the repository's module: finding one means the body leaked
        elsewhere = outside_function(ROOT / rel, func)
        unique = {line for line in repo[func] if line not in elsewhere and len(line) > 8}
        lines = {line.strip() for line in (folder / rel).read_text().splitlines()}
        assert sorted(unique & lines) == [], f"{dotted}'s body is in the bundle's {rel}"
        assert len(mine[func]) == 1 and mine[func][0].startswith("raise NotImplementedError("), dotted
        for lesson in owners:
            assert f"lesson {lesson.split('_')[0]}" in mine[func][0], (dotted, lesson)
    assert stripped > 0 or name == "everything"


@heavy("early")
def test_bundle_imports_from_its_own_folder(bundles, tmp_path):
    """With PYTHONPATH=bundle (and not the repository), does every course module import, a withheld
    reference raise its message, and a released one work?"""
    folder, _, released, _ = bundles["early"]
    assert "07_optimizers" not in released
    script = (
        "import importlib, pkgutil, sys, numpy as np, course\n"
        f"assert course.__file__.startswith({str(folder)!r}), course.__file__\n"
        "names = [m.name for m in pkgutil.walk_packages(course.__path__, 'course.')]\n"
        "[importlib.import_module(n) for n in names]\n"
        "from course.nn.optim import sgd\n"
        "try:\n    sgd(np.ones(2), np.ones(2))\nexcept NotImplementedError as e:\n    print('RAISED', e)\n"
        "print(len(names), 'modules')\n")
    env = dict(os.environ, PYTHONPATH=str(folder))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "RAISED course.nn.optim.sgd is not in your copy" in out.stdout
    assert "lesson 07's exercise `sgd`" in out.stdout


@heavy("seven_released")
def test_zip_installs_with_pip_without_the_grader(bundles, tmp_path):
    """Does `pip install bundle.zip` install `course` (answers still withheld) and nothing of the grader?"""
    _, _, _, target = bundles["seven_released"]
    out = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                          "--no-index", "--quiet", "--target", tmp_path / "site", target],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    site = tmp_path / "site"
    assert (site / "course" / "nn" / "optim.py").is_file() and not (site / "autograder").exists()
    assert "raise NotImplementedError(" in (site / "course" / "nn" / "conv.py").read_text()
    assert (site / "course" / "nn" / "optim.py").read_text() == (ROOT / "course" / "nn" / "optim.py").read_text()
    meta = next(site.glob("dl_course_student-*.dist-info")) / "METADATA"
    requires = {line.split(":", 1)[1].strip() for line in meta.read_text().splitlines()
                if line.startswith("Requires-Dist:")}
    import tomllib
    assert requires == set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


@heavy("seven_released")
def test_readme_says_how_to_install_and_what_is_left_out(bundles):
    """Does the bundle's README give the install line, and its marker file list the lessons and releases?"""
    folder, lessons, released, _ = bundles["seven_released"]
    readme = (folder / "README.md").read_text()
    assert "pip install ." in readme and "jupyter lab" in readme and "NotImplementedError" in readme
    marker = json.loads((folder / bundle.MARKER).read_text())
    assert marker["lessons"] == lessons and marker["released"] == released


@heavy("early")
def test_existing_bundle_is_kept_without_force_and_replaced_with_it(bundles, tmp_path):
    """Is an earlier bundle (folder or zip) left untouched without --force, and replaced with it?"""
    import shutil

    folder = tmp_path / "folder"
    shutil.copytree(bundles["early"][0], folder)
    zipped = tmp_path / "old.zip"
    zipped.write_bytes(b"PK\x05\x06" + bytes(18))   # an empty zip: someone's file
    before = zipped.read_bytes()
    out = course_grade("release", "--bundle", zipped, "--lessons", "01", "--released", "02")
    assert out.returncode == 1 and "pass --force" in out.stderr and zipped.read_bytes() == before
    out = course_grade("release", "--bundle", folder, "--lessons", "01", "--released", "02")
    assert out.returncode == 1 and "pass --force" in out.stderr and (folder / "lessons" / EARLY[1]).is_dir()
    out = course_grade("release", "--bundle", zipped, "--lessons", "01", "--released", "02", "--force")
    assert out.returncode == 0, out.stderr
    with zipfile.ZipFile(zipped) as zf:
        assert {Path(n).parts[2] for n in zf.namelist() if Path(n).parts[1:2] == ("lessons",)} == {"01_softmax"}
    out = course_grade("release", "--bundle", folder, "--lessons", "01", "--released", "02", "--force")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (folder / "lessons").iterdir()) == ["01_softmax"]
    assert json.loads((folder / bundle.MARKER).read_text())["released"] == lessons_needed(["01_softmax"])
    assert not list(tmp_path.glob(".course-bundle-*")), "the scratch folder is left behind"


# "seven" releases only what lesson 07 needs of earlier lessons: its given cells must run on the student's
# own sgd, adam, minibatches and train (the library's stubs raise NotImplementedError)
RUNS = [("early", "01_softmax"), ("early", "04_one_hot_and_forward"), ("seven_released", "07_optimizers"),
        ("seven", "07_optimizers"), ("lenet", "09_lenet5")]


@pytest.mark.notebooks
@pytest.mark.parametrize("name,lesson", [pytest.param(*run, marks=pytest.mark.xdist_group(group(run[0])))
                                         for run in RUNS])
def test_a_solved_lesson_runs_against_the_bundle(bundles, name, lesson, tmp_path):
    """Does a student who did the work (the solution cells in the bundle's notebook) pass every cell, test
    cells included, with only the bundle's own package on the path (quick mode)?"""
    folder, _, released, _ = bundles[name]
    if name == "seven":
        assert lesson not in released and "raise NotImplementedError(" in (folder / "course/nn/optim.py").read_text()
    student = nbformat.read(folder / "lessons" / lesson / f"{lesson}.ipynb", as_version=4)
    nb = bundle.solved(student, nbformat.read(SOLUTIONS / lesson / f"{lesson}.ipynb", as_version=4))
    work = tmp_path / lesson
    work.mkdir()
    done, error = bundle.execute(nb, work, folder, env={"COURSE_QUICK": "1"})
    assert error is None, f"{lesson} failed against the {name} bundle:\n{str(error)[-4000:]}"
    tests = [c for c in done.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert tests, "no test cells ran"
    assert all(o.get("output_type") != "error" for c in tests for o in c.outputs)


