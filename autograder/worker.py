"""One grading job, run in a worker process: read, rebuild and execute one submission in a sandbox.

Workers never touch the gradebook: they write the rebuilt notebook (for nbgrader) and the executed
one (its outputs), and return a :class:`~autograder.status.Result`; the batch's main process saves
the grades.
"""

from __future__ import annotations

import atexit
import copy
import functools
import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import status as st
from autograder.outputs import repair_unicode
from autograder.rebuild import rebuild, restore_code
from autograder.sandbox import WITHHOLD_SPEC, Limits, Sandbox, Slot

MAX_NOTEBOOK_MB = 256

_slot = None


def slot():
    """This worker process's sandbox slot, claimed on first use and released when it exits."""
    global _slot
    if _slot is None:
        _slot = Slot.claim()
        atexit.register(_slot.release)
    return _slot


@dataclass
class Job:
    """Everything a worker needs to grade one submission (picklable)."""

    lesson: str
    student: str
    submission: str           # the student's file, as collected
    template: str             # the lesson's template notebook (JSON text)
    released: dict            # grade_id -> source the student was given
    files: dict               # name in the working folder -> host path (the lesson's other files)
    staged: str               # where to write the rebuilt notebook (nbgrader grades this one)
    executed: str             # where to write the executed notebook (its outputs are used)
    key: str = ""
    limits: Limits = field(default_factory=Limits)


def read_submission(path):
    """Return (notebook, None), or (None, why it is not a valid notebook).

    Lone surrogates (valid JSON, invalid Unicode) are replaced with U+FFFD: see :func:`read_repaired`.
    """
    nb, problem, _ = read_repaired(path)
    return nb, problem


def read_repaired(path):
    """Return (notebook, None, repaired characters), or (None, why it is not a valid notebook, 0)."""
    nb, problem = _read(path)
    repaired = repair_unicode(nb) if nb is not None else 0
    return nb, problem, repaired


def _read(path):
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, f"the file cannot be read ({exc.strerror})"
    if size == 0:
        return None, "the file is empty (0 bytes)"
    if size > MAX_NOTEBOOK_MB << 20:
        return None, f"the file is larger than {MAX_NOTEBOOK_MB} MB"
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        return None, "the file is not text (is it a notebook at all?)"
    except ValueError as exc:
        return None, f"the file is not valid JSON ({exc})"
    if not isinstance(data, dict) or "nbformat" not in data:
        return None, "the file is JSON but not a Jupyter notebook (no 'nbformat' field)"
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds; all mean "not a notebook"
        return None, f"the file is not a readable Jupyter notebook ({type(exc).__name__}: {exc})"
    if not isinstance(nb.get("cells"), list):
        return None, "the notebook has no list of cells"
    return nb, None


def ungradable(template, why):
    """The template with every test cell failed: what an invalid submission is graded as."""
    nb = copy.deepcopy(template)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                cell.outputs = [nbformat.v4.new_output(
                    "error", ename="NotGraded", evalue=why, traceback=[f"NotGraded: {why}"])]
    return nb


@functools.lru_cache(maxsize=1)
def _font_cache():
    """Matplotlib's font list, so that each sandbox does not spend seconds rebuilding it."""
    try:
        import matplotlib
        from matplotlib import font_manager  # noqa: F401 - builds the cache if missing
    except ImportError:
        return {}
    found = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-v*.json"))
    return {f".config/matplotlib/{found[-1].name}": found[-1]} if found else {}


def grade(job):
    """Grade one submission; return its Result as a dict (status and reasons; no score yet)."""
    from autograder.execute import SandboxedExecute

    start = time.monotonic()
    result = st.Result(lesson=job.lesson, student=job.student, key=job.key)
    template = nbformat.reads(job.template, as_version=4)
    nb, problem, repaired = read_repaired(job.submission)
    if repaired:
        result.add(st.GRADED, f"the notebook held {repaired} invalid Unicode character{'s' if repaired > 1 else ''} "
                              "(half of a surrogate pair, e.g. a cut emoji): replaced with U+FFFD")
    rebuilt = None
    if not problem:
        try:
            rebuilt = rebuild(template, nb, job.released)
        except Exception as exc:  # noqa: BLE001 - cells of the wrong shape: a broken notebook, not a grader error
            problem = f"its cells cannot be read ({type(exc).__name__}: {exc})"
    if problem:
        result.add(st.INVALID, problem)
        graded = ungradable(template, f"the submission is not a valid notebook: {problem}")
        staged = copy.deepcopy(graded)
        for cell in staged.cells:
            if cell.cell_type == "code":
                cell.outputs = []
    else:
        for note in rebuilt.notes:
            result.add(st.TAMPERED if rebuilt.tampered else st.GRADED, note)
        staged = rebuilt.nb
        graded = copy.deepcopy(staged)
    _write(staged, job.staged)

    if not problem:
        box = slot()
        box.prepare(job.limits)
        files = {f"{job.lesson}.ipynb": job.submission, **job.files}
        spec_dir = Path(tempfile.mkdtemp(prefix="course-grade-withhold-"))
        spec = spec_dir / "withhold.json"
        spec.write_text(json.dumps(withhold_spec(job.lesson, template)))
        spec.chmod(0o644)   # the kernel runs as the slot's user; it holds no secret (names and hashes)
        sandbox = Sandbox(box, job.limits, job.lesson, files, {**_font_cache(), WITHHOLD_SPEC: spec})
        sandbox.host_setup()
        try:
            for attempt in (1, 2):
                with open(box.sockets / "kernel.log", "wb") as log:
                    executor = SandboxedExecute(sandbox, job.limits, restore_code=restore_code(template),
                                                lesson_cells=lesson_cells(template),
                                                checks=checks(job.lesson, template, spec_dir))
                    events = executor.run(graded, log_file=log)
                busy = [reason for status, reason in events if status == st.BUSY]
                if not busy or attempt == 2:
                    break
                # the machine, not the student, ran out of time: once more, from the start
                result.add(st.GRADED, f"graded a second time: the first run timed out ({busy[0]})")
                graded = copy.deepcopy(staged)
                box.prepare(job.limits)
                sandbox.host_cleanup()   # without bubblewrap: a fresh scratch home too
                sandbox.host_setup()
            result.events += events
            if result.status == st.GRADER_ERROR:
                result.events[-1][1] += _log_tail(box.sockets / "kernel.log")
        finally:
            result.usage = {**box.counters(), "slot": box.index, "uid": box.uid}
            box.kill_all()
            sandbox.host_cleanup()
            shutil.rmtree(spec_dir, ignore_errors=True)
        for reason in withheld_calls(graded):
            result.add(st.WITHHELD, reason)
    if repair_unicode(graded):   # the kernel's outputs, as sent
        result.add(st.GRADED, "the outputs held invalid Unicode characters: replaced with U+FFFD")
    _write(graded, job.executed)
    result.seconds = round(time.monotonic() - start, 2)
    return result.to_json()


def checks(lesson, template, folder):
    """How the checker (checker.py) runs ``lesson``'s test cells: the lesson's own imports, from the
    template, and its working folder. Every lesson's tests run there (Keras models cross as data)."""
    from autograder.checker import lesson_imports

    return {"imports": lesson_imports(lesson_cells(template)), "cwd": str(folder)}


def lesson_cells(template):
    """The sources of the lesson's own code cells (neither an answer nor a test): the cells whose time
    is not the student's (execute.py gives them the setup limit when they run as released)."""
    return {cell.source for cell in template.cells if cell.cell_type == "code"
            and not {"solution", "grade"} & {k for k, v in cell.get("metadata", {}).get("nbgrader", {}).items() if v}}


def withhold_spec(lesson, template):
    """What the kernel withholds while ``lesson`` is graded (read by kernel_withhold.py at start-up).

    ``withheld``: the library's answers to the lesson's graded functions; ``exercises``: which graded
    functions each one answers (for the message); ``trusted``: the SHA-256 of every released code cell
    that is neither a solution nor a test, the only cells allowed to call them.
    """
    from course.nn.references import REFERENCES, answers

    refs = answers(lesson) if lesson in REFERENCES else {}
    exercises = {}
    for graded, dotted in refs.items():
        if dotted:
            exercises.setdefault(dotted, []).append(graded)
    trusted = sorted({hashlib.sha256(cell.source.encode("utf-8", "surrogatepass")).hexdigest()
                      for cell in template.cells
                      if cell.cell_type == "code" and not _nbgrader(cell).get("solution")
                      and not _nbgrader(cell).get("grade")})
    return {"lesson": lesson, "withheld": sorted(exercises), "exercises": exercises, "trusted": trusted}


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def withheld_calls(nb):
    """The reasons to give for test cells that failed because the submission called a withheld answer."""
    reasons = []
    for cell in nb.cells:
        if cell.cell_type != "code" or not _nbgrader(cell).get("grade"):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") == "WithheldAnswer":
                name = _nbgrader(cell).get("grade_id", "?")
                reasons.append(f"test cell '{name}' scored zero: {str(out.get('evalue', ''))[:300]}")
                break
    return reasons


def _log_tail(path, size=1500):
    try:
        text = Path(path).read_bytes()[-size:].decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f"\nkernel log:\n{text}" if text else ""


def _write(nb, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
