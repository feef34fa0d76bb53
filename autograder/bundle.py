"""What students get: ``course-grade release --bundle DIR_OR_ZIP``.

A student bundle holds the student notebooks (released fresh from solutions/ by nbgrader), the helper
package ``course`` and what ``pip install`` needs, and nothing that answers an exercise:

- no solutions/, no hidden tests, no autograder (students do not need it: nbgrader's Validate button
  comes with nbgrader, a dependency of the package; the grader's own code, fixtures and sandbox stay
  with the instructor);
- in ``course``, every library function that is the reference of a graded function
  (``course/nn/references.py``, and :data:`SAME_NAME_ANSWERS`) of a lesson not released with
  ``--released`` keeps its signature, and its docstring and body become a note and a
  ``raise NotImplementedError`` saying which lesson's exercise it answers and when it arrives. The rest of
  each module is kept byte for byte, so every module still imports.
  ``course/nn/references.py`` stays: it holds names only, and tells a student which library
  function arrives with which lesson.

Lessons build on earlier ones: their given cells (setup, demos, training with ``course.nn.fit``)
call the library, and the library calls its references. :data:`NEEDS` lists, per lesson, the
references that running the lesson calls (a student's solved notebook, executed in quick mode
against a package where every reference records its first call): ``python -m autograder.bundle
probe [LESSON ...]`` measures it again and prints the table to paste here. A bundle that includes a
lesson whose needs are not released is refused, with the ``--released`` to add.

The bundle is checked before it is written (:func:`audit`): no solution or hidden-test marker, no
hidden-test line, no solution line of a lesson outside the library, and no reference body of an
unreleased lesson in the library.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.lessons import LESSONS, ROOT, SOLUTIONS, LessonError, lesson_ids, read_notebook, resolve

PACKAGE = ROOT / "course"
MARKER = ".course-bundle.json"   # written into every bundle: what it holds (and that --force may replace it)
STUDENT_NAME = "dl-course-student"
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}

# The references each lesson's run calls (the given cells, the library under them, the visible tests), as
# measured by `python -m autograder.bundle probe`. The lessons they answer come from REFERENCES, so a
# reference that moves to another lesson moves its need with it. Measure again when a lesson's given
# cells or the library change which functions they call (the bundle tests run lessons against this table).
NEEDS = {
    # needs 02
    '01_softmax': ['course.nn.functional.sigmoid'],
    # needs 01
    '02_dense_layers': ['course.nn.functional.softmax'],
    # needs 02 06 07 08
    '03_initialization': ['course.nn.activations.relu_backward', 'course.nn.activations.relu_forward',
        'course.nn.activations.sigmoid_backward', 'course.nn.activations.tanh_backward',
        'course.nn.activations.tanh_forward', 'course.nn.batches.minibatches', 'course.nn.dense.dense_backward',
        'course.nn.dense.dense_forward', 'course.nn.functional.sigmoid', 'course.nn.losses.softmax_cross_entropy',
        'course.nn.model.mlp', 'course.nn.optim.sgd', 'course.nn.train.fit'],
    # needs 01
    '04_one_hot_and_forward': ['course.nn.functional.softmax'],
    # needs 01 02 03 04 06 07 08
    '05_cross_entropy_and_prediction': ['course.nn.activations.relu_backward', 'course.nn.activations.relu_forward',
        'course.nn.batches.minibatches', 'course.nn.dense.dense_backward', 'course.nn.dense.dense_forward',
        'course.nn.functional.softmax', 'course.nn.init.he_normal', 'course.nn.init.normal_init',
        'course.nn.losses.softmax_cross_entropy', 'course.nn.model.mlp', 'course.nn.model.two_layer_net',
        'course.nn.optim.sgd', 'course.nn.train.fit', 'course.twolayer.two_layer_forward'],
    # needs 01 02 03 07 08
    '06_backpropagation': ['course.nn.activations.relu_forward', 'course.nn.activations.tanh_forward',
        'course.nn.batches.minibatches', 'course.nn.dense.dense_forward', 'course.nn.functional.sigmoid',
        'course.nn.functional.softmax', 'course.nn.init.he_normal', 'course.nn.init.init_params',
        'course.nn.init.normal_init', 'course.nn.optim.sgd', 'course.nn.train.fit'],
    # needs 02 03 04 06 08
    '07_optimizers': ['course.nn.activations.relu_forward', 'course.nn.dense.dense_backward',
        'course.nn.dense.dense_forward', 'course.nn.init.he_normal', 'course.nn.init.normal_init',
        'course.nn.losses.softmax_cross_entropy', 'course.nn.model.mlp', 'course.nn.model.two_layer_net'],
    # needs 01 02 06 07
    '08_deep_networks': ['course.nn.activations.relu_backward', 'course.nn.activations.relu_forward',
        'course.nn.activations.tanh_backward', 'course.nn.activations.tanh_forward', 'course.nn.batches.minibatches',
        'course.nn.dense.dense_backward', 'course.nn.dense.dense_forward', 'course.nn.functional.softmax',
        'course.nn.losses.softmax_cross_entropy', 'course.nn.optim.adam', 'course.nn.train.fit'],
    # needs 01 02 03 05 06 07 08
    '09_lenet5': ['course.digitreader.segment_digits', 'course.digitreader.to_mnist_frame',
        'course.nn.activations.relu_backward', 'course.nn.activations.relu_forward', 'course.nn.batches.minibatches',
        'course.nn.dense.dense_backward', 'course.nn.dense.dense_forward', 'course.nn.dropout.dropout_backward',
        'course.nn.dropout.dropout_forward', 'course.nn.functional.softmax', 'course.nn.init.he_normal',
        'course.nn.init.normal_init', 'course.nn.losses.l2_penalty', 'course.nn.losses.softmax_cross_entropy',
        'course.nn.metrics.confusion_matrix', 'course.nn.model.mlp', 'course.nn.optim.adam', 'course.nn.optim.sgd',
        'course.nn.train.fit'],
    # needs 01 06 07
    '10_rnn': ['course.nn.batches.minibatches', 'course.nn.functional.softmax',
        'course.nn.losses.softmax_cross_entropy', 'course.nn.optim.adam', 'course.nn.train.fit'],
    # needs 02 03 06 07 08
    '11_keras_mlp': ['course.nn.activations.relu_forward', 'course.nn.batches.minibatches',
        'course.nn.dense.dense_backward', 'course.nn.dense.dense_forward', 'course.nn.init.he_normal',
        'course.nn.init.normal_init', 'course.nn.losses.softmax_cross_entropy', 'course.nn.model.mlp',
        'course.nn.optim.adam', 'course.nn.optim.sgd_momentum', 'course.nn.train.fit'],
    # needs 02 03 05 06 07 08 09
    '12_keras_lenet5': ['course.nn.activations.relu_backward', 'course.nn.activations.relu_forward',
        'course.nn.batches.minibatches', 'course.nn.conv.conv_backward', 'course.nn.conv.conv_forward',
        'course.nn.conv.conv_output_size', 'course.nn.dense.dense_backward', 'course.nn.dense.dense_forward',
        'course.nn.init.he_normal', 'course.nn.init.normal_init', 'course.nn.losses.softmax_cross_entropy',
        'course.nn.metrics.confusion_matrix', 'course.nn.model.lenet5', 'course.nn.model.mlp',
        'course.nn.optim.adam', 'course.nn.pool.maxpool_backward', 'course.nn.pool.maxpool_forward',
        'course.nn.reshape.flatten_backward', 'course.nn.reshape.flatten_forward', 'course.nn.train.fit'],
    # needs 10
    '13_keras_rnn': ['course.nn.recurrent.bidirectional_forward', 'course.nn.recurrent.gru_forward',
        'course.nn.recurrent.lstm_forward', 'course.nn.recurrent.rnn_forward'],
    # needs 05
    '14_which_network': ['course.nn.metrics.accuracy', 'course.nn.metrics.confusion_matrix'],
}


# -- which library function answers which exercise ---------------------------------------------------------

# Library functions named like a graded function that REFERENCES does not list (it lists only the references
# the agreement tests compare): each is either an answer too, left out like the references, or not one.
def _same_name_answers():
    from course.nn.references import SAME_NAME

    found = {}
    for lesson, table in SAME_NAME.items():
        for graded, dotted in table.items():
            found.setdefault(dotted, []).append((lesson, graded))
    return found


# library functions named after a graded function, doing its job, without an agreement check
# (course/nn/references.py's SAME_NAME: withheld while their lesson is graded, too)
SAME_NAME_ANSWERS = _same_name_answers()
SAME_NAME_NOT_ANSWERS = {
    "course.keras_mlp.he_normal": "a Keras initializer object, not lesson 03's NumPy initializer",
    "course.lab.training.train": "lesson 14's Keras training loop over a task, not lesson 07's NumPy `train`",
}


def answers():
    """{dotted reference: [(lesson, graded function), ...]}: REFERENCES and SAME_NAME_ANSWERS."""
    from course.nn.references import REFERENCES

    found = {}
    for lesson, table in REFERENCES.items():
        for graded, dotted in table.items():
            if dotted:
                found.setdefault(dotted, []).append((lesson, graded))
    for dotted, owners in SAME_NAME_ANSWERS.items():
        found.setdefault(dotted, []).extend(o for o in owners if o not in found[dotted])
    return found


def reference_lessons(dotted):
    return sorted({lesson for lesson, _ in answers().get(dotted, [])})


def withheld_from(released):
    """{dotted: [(lesson, graded), ...]} of the references a bundle releasing ``released`` leaves out.

    A reference that answers exercises of several lessons (two_layer_net: 04 and 06) stays out until all
    of them are released.
    """
    released = set(released)
    return {dotted: owners for dotted, owners in answers().items()
            if not {lesson for lesson, _ in owners} <= released}


def module_file(dotted, package_root=PACKAGE):
    """The source file of a reference's module, and the function's name in it."""
    module, _, name = dotted.rpartition(".")
    parts = module.split(".")
    if parts[0] != "course":
        raise LessonError(f"{dotted}: a reference must live in the course package")
    base = Path(package_root).joinpath(*parts[1:])
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    if not path.is_file():
        raise LessonError(f"{dotted}: no module file {path} (fix course/nn/references.py)")
    return path, name


def _lesson_number(lesson):
    return lesson.split("_", 1)[0]


def not_released_message(dotted, owners):
    """The error a stripped reference raises: which exercise it answers, and when it arrives."""
    by_lesson = {}
    for lesson, graded in owners:
        by_lesson.setdefault(lesson, []).append(graded)
    parts = [f"lesson {_lesson_number(lesson)}'s exercise{'s' if len(names) > 1 else ''} "
             + ", ".join(f"`{n}`" for n in names) for lesson, names in sorted(by_lesson.items())]
    lessons = sorted(by_lesson)
    when = " and ".join(_lesson_number(lesson) for lesson in lessons)
    return (f"{dotted} is not in your copy of the course yet: this is the answer to {' and '.join(parts)}; it "
            f"is part of the course once your instructor releases lesson{'s' if len(lessons) > 1 else ''} "
            f"{when}. Write the exercise in its notebook (or use your own function).")


# -- rewriting a module -------------------------------------------------------------------------------------

def _function(tree, name, path):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
    raise LessonError(f"{path}: no function `{name}` at module level (course/nn/references.py names it); "
                      "a reference must be a plain function of its module")


def _body_span(node, lines):
    """(first, last) 1-based line numbers of a function's body, from its docstring or first statement."""
    first = node.body[0]
    if first.lineno == node.lineno or first.end_lineno is None:
        raise LessonError(f"line {node.lineno}: `{node.name}` has its body on the line of its `def`; "
                          "put the body on lines of its own so the bundle can replace it")
    start = first.lineno
    # comments between the signature and the first statement belong to the body
    while start - 1 > node.lineno and lines[start - 2].strip().startswith("#"):
        start -= 1
    return start, node.end_lineno, first.col_offset


def rewrite_module(text, edits, path="<module>", keep_body=False):
    """Replace the bodies of the functions in ``edits`` ({name: [statement lines]}) in ``text``.

    Everything else (imports, other functions, comments) is kept byte for byte, so the module imports as
    before. Each edited function keeps its signature; its docstring and body become ``statements``.
    With ``keep_body`` the statements are put before the body instead (after the docstring).
    """
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    spans = []
    for name, statements in edits.items():
        node = _function(tree, name, path)
        start, end, col = _body_span(node, lines)
        indent = " " * col
        if keep_body:   # the statements go first, after the docstring; the body stays
            first = node.body[1] if ast.get_docstring(node) is not None and len(node.body) > 1 else node.body[0]
            at = first.lineno if first is not node.body[0] else start
            spans.append((at, at - 1, [f"{indent}{s}\n" for s in statements]))
            continue
        new = [f"{indent}{s}\n" for s in statements]
        spans.append((start, end, new))
    for start, end, new in sorted(spans, reverse=True):
        lines[start - 1:end] = new
    out = "".join(lines)
    compile(out, str(path), "exec")
    return out


def strip_statements(dotted, owners):
    lessons = " and ".join(sorted({_lesson_number(lesson) for lesson, _ in owners}))
    return [f'"""Not in this copy of the course yet: it arrives with lesson{"s" if " and " in lessons else ""} '
            f'{lessons} (calling it says more)."""',
            f"raise NotImplementedError({json.dumps(not_released_message(dotted, owners), ensure_ascii=False)})"]


def probe_statements(dotted):
    return [f"__import__('course._bundle_probe', fromlist=['hit']).hit({dotted!r})"]


PROBE_MODULE = '''"""Records the first call of each reference (autograder.bundle probe): one line per name."""
import os

_seen = set()


def hit(name):
    if name in _seen:
        return
    _seen.add(name)
    path = os.environ.get("COURSE_BUNDLE_PROBE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(name + "\\n")
'''


def copy_package(dest, released=(), probe=False, source=PACKAGE):
    """Copy the ``course`` package to ``dest``/course with the unreleased references stripped.

    With ``probe`` the references keep their bodies and record their first call instead (see NEEDS).
    Returns {dotted: owners} of the references that were rewritten.
    """
    source, target = Path(source), Path(dest) / "course"
    ignore = shutil.ignore_patterns(*SKIP_PARTS, "*.pyc")
    shutil.copytree(source, target, ignore=ignore)
    rewritten = answers() if probe else withheld_from(released)
    per_file = {}
    for dotted, owners in rewritten.items():
        path, name = module_file(dotted, source)
        stmts = probe_statements(dotted) if probe else strip_statements(dotted, owners)
        per_file.setdefault(path, {})[name] = stmts
    for path, edits in per_file.items():
        out = target / path.relative_to(source)
        out.write_text(rewrite_module(path.read_text(encoding="utf-8"), edits, path, keep_body=probe),
                       encoding="utf-8")
    if probe:
        (target / "_bundle_probe.py").write_text(PROBE_MODULE, encoding="utf-8")
    return rewritten


# -- what each lesson needs ---------------------------------------------------------------------------------

def needs(lesson):
    """{dotted: [lessons it answers]} of the references ``lesson`` calls when it runs."""
    if lesson not in NEEDS:
        raise LessonError(f"{lesson}: not in the bundle's table of what each lesson calls (NEEDS in "
                          f"autograder/bundle.py): measure it with `python -m autograder.bundle probe {lesson}` "
                          "and add its line")
    return {dotted: reference_lessons(dotted) for dotted in NEEDS[lesson]}


def missing_releases(lessons, released):
    """Messages for each included lesson whose run calls references the bundle would leave out."""
    released = set(released)
    problems = []
    for lesson in lessons:
        lacking = {}
        for dotted, owners in needs(lesson).items():
            for owner in owners:
                if owner not in released:
                    lacking.setdefault(owner, []).append(dotted)
        if not lacking:
            continue
        num = _lesson_number(lesson)
        what = "; ".join(f"lesson {_lesson_number(o)}'s answers ({', '.join(sorted(d))})"
                         if o != lesson else f"its own answers ({', '.join(sorted(d))}; the library code its "
                         f"given cells run calls them, so it runs only with --released {num}, which hands them "
                         "to students)"
                         for o, d in sorted(lacking.items(), key=lambda item: (item[0] != lesson, item[0])))
        add = " ".join(_lesson_number(o) for o in sorted(lacking))
        others = [other for other in lessons if other != lesson]
        leave = (f"leave {num} out with --lessons {' '.join(_lesson_number(o) for o in others)}"
                 if others else "bundle other lessons (--lessons ...)")
        problems.append(f"lesson {num} needs {what}: add --released {add}, or {leave}")
    return problems


# -- the student notebook a student who did the work has --------------------------------------------------

SOLUTION_RE = re.compile(r"[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?")


def solved(student_nb, solution_nb):
    """The student notebook with each solution cell's code taken from the solution notebook.

    Cells are matched by nbgrader's ``grade_id``; test cells stay as released (no hidden tests).
    """
    import copy

    sources = {}
    for cell in solution_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id"):
            sources[meta["grade_id"]] = SOLUTION_RE.sub("", cell.source)
    nb = copy.deepcopy(student_nb)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if meta.get("solution") and gid:
            if gid not in sources:
                raise LessonError(f"solution cell {gid!r} of the student notebook is not in the solution notebook")
            cell.source = sources[gid]
    return nb


def execute(nb, cwd, pythonpath, env=None, timeout=900):
    """Run ``nb`` in a fresh kernel whose ``course`` is the one in ``pythonpath`` (checked in the kernel).

    Returns (executed notebook, None) or (notebook so far, CellExecutionError).
    """
    import copy

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from autograder.kernelclient import SlicedKernelManager

    nb = copy.deepcopy(nb)
    where = str(Path(pythonpath).resolve() / "course")
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import course as _c, os as _os\n"
        f"assert _os.path.dirname(_os.path.realpath(_c.__file__)) == {where!r}, "
        "f'course imported from {_c.__file__}'\ndel _c, _os"))
    kernel_env = dict(os.environ, **(env or {}))
    kernel_env["PYTHONPATH"] = os.pathsep.join([str(Path(pythonpath).resolve())]
                                               + ([kernel_env["PYTHONPATH"]] if kernel_env.get("PYTHONPATH")
                                                  else []))
    kernel_env.setdefault("COURSE_QUICK", "1")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            kernel_manager_class=SlicedKernelManager,
                            resources={"metadata": {"path": str(cwd)}})
    error = None
    try:
        client.execute(env=kernel_env, cwd=str(cwd))
    except CellExecutionError as exc:
        error = exc
    nb.cells.pop(0)
    return nb, error


def probe(lessons=None, log=print):
    """Measure NEEDS: run each lesson's solved notebook against a package whose references record calls.

    Returns {lesson: sorted dotted names}; a lesson that fails to run raises LessonError.
    """
    import nbformat

    from autograder.release import generate

    ids = resolve(lessons)
    found, failed = {}, []
    with tempfile.TemporaryDirectory(prefix="course-probe-") as tmp:
        tmp = Path(tmp)
        copy_package(tmp / "pkg", probe=True)
        generate(ids, tmp / "lessons")
        for lesson in ids:
            record = tmp / f"{lesson}.calls"
            record.write_text("")
            student = nbformat.read(tmp / "lessons" / lesson / f"{lesson}.ipynb", as_version=4)
            nb = solved(student, read_notebook(SOLUTIONS / lesson / f"{lesson}.ipynb"))
            _, error = execute(nb, tmp / "lessons" / lesson, tmp / "pkg", env={"COURSE_BUNDLE_PROBE": str(record)})
            found[lesson] = sorted(set(record.read_text().split()))
            if error is not None:   # what it called up to the error is still measured; the table says so
                log(f"{lesson}: the solved notebook failed while probing:\n{str(error)[-3000:]}")
                failed.append(lesson)
            log(f"{lesson}: {len(found[lesson])} reference(s) called")
    if failed:
        raise LessonError("these lessons failed to run, so their needs are incomplete: " + ", ".join(failed)
                          + "\nmeasured so far: " + json.dumps(found))
    return found


# -- the bundle ---------------------------------------------------------------------------------------------

STUDENT_README = """# Deep learning, hands on: your copy of the course

{lessons_line}

## Install (once)

With Python 3.10 or newer:

```bash
python3 -m venv .venv
.venv/bin/python -m pip install .          # the `course` helper package and everything the lessons use
.venv/bin/python -m ipykernel install --user --name dl-course --display-name "Python 3 (dl-course)"
mkdir -p .venv/share/jupyter/lab/settings && cp jupyterlab/overrides.json .venv/share/jupyter/lab/settings/
```

(Or, without installing the package: `pip install` the dependencies listed in `pyproject.toml` and start
JupyterLab with `PYTHONPATH` set to this folder.) The last line runs widget callbacks on the kernel's main
thread, so a widget and a cell never draw with matplotlib at the same time.

## Work

```bash
.venv/bin/jupyter lab --notebook-dir=lessons
```

Open the first lesson, replace each `raise NotImplementedError()` with your code and run the test cell below
it: it tells you what is wrong (type, shape or values). Before you hand in, use *Kernel > Restart Kernel and
Run All Cells*, or nbgrader's **Validate** button, and hand in the notebook file.

## The `course` package

The lessons import small helpers from `course` (data sets, plots, widgets, test checks) and
its network library `course.nn`. The library grows with the course: a function that is the answer to an
exercise you have not reached yet raises `NotImplementedError` naming the lesson; it arrives when your
instructor releases that lesson. `course/nn/references.py` lists which library function goes with which
exercise. {released_line}
"""


def _dependencies():
    """The repository's [project] table (dependencies, Python) and its package list without the grader."""
    try:
        import tomllib
    except ModuleNotFoundError:   # Python 3.10
        from pip._vendor import tomli as tomllib
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    packages = [p for p in data["tool"]["setuptools"]["packages"] if p == "course" or p.startswith("course.")]
    return project, packages


def student_pyproject():
    project, packages = _dependencies()
    deps = "".join(f"    {json.dumps(d)},\n" for d in project["dependencies"])
    return ("[build-system]\nrequires = [\"setuptools>=68\"]\nbuild-backend = \"setuptools.build_meta\"\n\n"
            f"[project]\nname = \"{STUDENT_NAME}\"\nversion = {json.dumps(project['version'])}\n"
            f"description = {json.dumps(project['description'])}\nreadme = \"README.md\"\n"
            f"requires-python = {json.dumps(project['requires-python'])}\n"
            f"dependencies = [\n{deps}]\n\n"
            f"[tool.setuptools]\npackages = {json.dumps(packages)}\n")


def _check_destination(dest, force):
    """Refuse a destination that holds something of the user's; return "zip" or "folder"."""
    dest = Path(dest)
    kind = "zip" if dest.suffix.lower() == ".zip" else "folder"
    resolved = dest.resolve()
    for protected in (ROOT, SOLUTIONS, LESSONS, PACKAGE, ROOT / "autograder", Path.home()):
        protected = protected.resolve()
        if resolved == protected or protected.is_relative_to(resolved) or (
                protected != ROOT.resolve() and protected != Path.home().resolve()
                and resolved.is_relative_to(protected)):
            raise LessonError(f"--bundle {dest}: that is (or holds, or is inside) {protected}; write the bundle "
                              "to a folder of its own, e.g. --bundle build/student or --bundle student.zip")
    if kind == "zip":
        if dest.is_dir():
            raise LessonError(f"--bundle {dest}: is a folder, not a zip file; give another name")
        if dest.exists() and not force:
            raise LessonError(f"--bundle {dest}: the file exists; pass --force to replace it (or give another "
                              "name)")
    else:
        if dest.exists() and not dest.is_dir():
            raise LessonError(f"--bundle {dest}: is a file, not a folder; give a folder, or a name ending in .zip")
        if dest.is_dir() and any(dest.iterdir()):
            if not force:
                raise LessonError(f"--bundle {dest}: the folder is not empty; pass --force to replace a bundle "
                                  "written there before, or give an empty or new folder")
            if not (dest / MARKER).is_file():
                raise LessonError(f"--bundle {dest}: the folder is not empty and holds no earlier bundle "
                                  f"({MARKER}); --force only replaces a bundle: give an empty or new folder")
    return kind


def build(dest, lessons=None, released=(), force=False, log=print):
    """Write the student bundle of ``lessons`` (all when None) to ``dest`` (a folder, or a .zip).

    ``released``: lessons whose references stay in the library. Refuses, naming the fix, a lesson whose
    run needs an unreleased lesson's answers, and a destination that holds anything but an earlier bundle
    (``force`` replaces an earlier bundle or zip). Returns the destination.
    """
    from autograder.release import _same_tree, generate

    ids = list(dict.fromkeys(resolve(lessons)))
    if not ids:
        raise LessonError("no lessons found in solutions/ (expected solutions/<id>/<id>.ipynb)")
    released = sorted(set(resolve(released))) if released else []
    problems = missing_releases(ids, released)
    if problems:
        raise LessonError("the bundle would not run:\n  " + "\n  ".join(problems))
    dest = Path(dest)
    kind = _check_destination(dest, force)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".course-bundle-", dir=dest.parent) as tmp:
        top = Path(tmp) / (dest.stem if kind == "zip" else dest.name)
        top.mkdir()
        generate(ids, top / "lessons")
        for lesson in ids:
            mine = LESSONS / lesson
            if not (mine.is_dir() and _same_tree(top / "lessons" / lesson, mine)):
                log(f"note: lessons/{lesson} is not what solutions/ releases today (the bundle has the fresh "
                    f"release): run `course-grade release {lesson}` to update the repository's copy")
        stripped = copy_package(top, released)
        shutil.copy2(ROOT / "jupyterlab" / "overrides.json", _mkdir(top / "jupyterlab") / "overrides.json")
        (top / "pyproject.toml").write_text(student_pyproject(), encoding="utf-8")
        (top / "README.md").write_text(STUDENT_README.format(
            lessons_line="Lessons: " + ", ".join(f"`{lesson}`" for lesson in ids) + ".",
            released_line=("This copy already holds the answers of lessons " + ", ".join(released) + "."
                           if released else "")).rstrip() + "\n", encoding="utf-8")
        (top / MARKER).write_text(json.dumps({"lessons": ids, "released": released,
                                              "withheld": sorted(stripped)}, indent=1) + "\n")
        audit(top, released)
        if kind == "zip":
            made = Path(tmp) / "bundle.zip"
            with zipfile.ZipFile(made, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(top.rglob("*")):
                    if path.is_file():
                        zf.write(path, path.relative_to(top.parent).as_posix())
            os.replace(made, dest)
        else:
            if dest.exists():   # an empty folder, or (with --force) an earlier bundle: it goes with tmp
                os.replace(dest, Path(tmp) / "replaced")
            os.replace(top, dest)
    log(f"bundle: {dest} ({len(ids)} lesson(s); answers released: {', '.join(released) or 'none'}; "
        f"{len(stripped)} library function(s) left out)")
    return dest


def _mkdir(path):
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- the audit ----------------------------------------------------------------------------------------------

HIDDEN_RE = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
SOLUTION_BLOCK_RE = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.S)
MIN_LINE = 12   # shorter lines ("return out", "x = 1") are too common to tell anything


def _given(solution):
    """The lines of a solution notebook its student notebook holds too (outside the two kinds of block)."""
    return {line.strip() for cell in solution.cells
            for line in HIDDEN_RE.sub("", SOLUTION_BLOCK_RE.sub("", cell.source)).splitlines()}


def secret_lines(lessons=None):
    """{lesson: (solution lines, hidden-test lines)} that no student notebook holds.

    What a student notebook holds is read off its solution notebook: everything outside the solution and
    hidden-test blocks (nbgrader replaces the first by a stub and drops the second). A line one lesson
    gives (``with quiet():``) is no secret in another.
    """
    notebooks = {lesson: read_notebook(SOLUTIONS / lesson / f"{lesson}.ipynb") for lesson in lesson_ids()}
    public = set().union(*(_given(nb) for nb in notebooks.values()))

    def lines(nb, regex):
        return {line.strip() for cell in nb.cells if cell.cell_type == "code"
                for block in regex.findall(cell.source) for line in block.splitlines()
                if len(line.strip()) >= MIN_LINE and line.strip() not in public}
    return {lesson: (lines(nb, SOLUTION_BLOCK_RE), lines(nb, HIDDEN_RE)) for lesson, nb in notebooks.items()
            if lessons is None or lesson in lessons}


def bundle_files(top):
    return [p for p in sorted(Path(top).rglob("*")) if p.is_file() and not SKIP_PARTS & set(p.parts)]


def file_lines(path):
    """The stripped lines of a file; of a notebook, the lines of its cells' sources."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            text = "\n".join("".join(c.get("source", "")) for c in json.loads(text).get("cells", []))
        except ValueError:
            pass   # not JSON: read as text
    return text, {line.strip() for line in text.splitlines()}


def audit(top, released=(), secrets=None):
    """Raise LessonError if the bundle at ``top`` holds an answer; return the files it checked."""
    top = Path(top)
    secrets = secrets or secret_lines()
    problems = []
    files = bundle_files(top)
    for path in files:
        rel = path.relative_to(top)
        raw = path.read_text(encoding="utf-8", errors="replace")
        for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
            if marker in raw:
                problems.append(f"{rel}: holds '{marker}'")
        _, lines = file_lines(path)
        in_library = rel.parts[0] == "course"
        for lesson, (solution_lines, hidden_lines) in secrets.items():
            problems += [f"{rel}: holds a hidden test line of {lesson}: {line[:60]!r}"
                         for line in sorted(hidden_lines & lines)]
            # the library holds code like the solutions' by design; its answers are checked below instead
            if not in_library:
                problems += [f"{rel}: holds a solution line of {lesson}: {line[:60]!r}"
                             for line in sorted(solution_lines & lines)]
    for dotted, owners in withheld_from(released).items():
        path, name = module_file(dotted, top / "course")
        node = _function(ast.parse(path.read_text(encoding="utf-8")), name, path)
        body = node.body[1:] if ast.get_docstring(node) is not None else node.body
        if not (len(body) == 1 and isinstance(body[0], ast.Raise)):
            problems.append(f"{path.relative_to(top)}: `{name}` still has its body (the answer to "
                            + ", ".join(f"{lesson} `{g}`" for lesson, g in owners) + ")")
    for forbidden in ("solutions", "autograder"):
        if (top / forbidden).exists():
            problems.append(f"{forbidden}/ is in the bundle")
    if problems:
        raise LessonError("the bundle would hold answers; nothing was written:\n  " + "\n  ".join(problems[:40]))
    return files


# -- python -m autograder.bundle probe --------------------------------------------------------------------

def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.bundle",
                                     description="Measure which references each lesson calls when it runs "
                                                 "(the NEEDS table of autograder/bundle.py) and print the table.")
    parser.add_argument("command", choices=["probe"])
    parser.add_argument("lessons", nargs="*", metavar="LESSON", help="lesson ids or prefixes (default: all)")
    args = parser.parse_args(argv)
    try:
        found = probe(args.lessons, log=lambda s: print(s, file=sys.stderr))
    except LessonError as exc:
        print(f"probe: {exc}", file=sys.stderr)
        return 1
    print(format_needs(found))
    return 0


def format_needs(found):
    """The NEEDS table as Python source, each lesson under a comment naming the lessons it needs."""
    lines = ["NEEDS = {"]
    for lesson, names in sorted(found.items()):
        owners = sorted({o for n in names for o in reference_lessons(n)})
        lines.append(f"    # needs {' '.join(_lesson_number(o) for o in owners) or 'nothing'}")
        row, rows = f"    {lesson!r}: [", []
        for name in sorted(set(names)):
            piece = f"{name!r}, "
            if len(row) + len(piece) > 118:
                rows.append(row.rstrip())
                row = "        "
            row += piece
        rows.append(row.rstrip().rstrip(",") + "],")
        lines += rows
    return "\n".join(lines + ["}"])


if __name__ == "__main__":
    raise SystemExit(main())
