"""A whole batch through the real `course-grade` command: correct, partly correct, blank and hostile.

The submissions are the fixtures in autograder/fixtures/01_softmax/ (see its README.md). The batch
is collected and graded once per test session, in three rounds: first three honest students, then
everyone (the first three must be left alone), then everyone again (nothing to do). Each test below
checks one submission or one promise of the grader.

Every hostile fixture runs only inside limits that test_grader_sandbox.py checks with harmless
probes, and every command runs under an outer `timeout`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder import status as st
from autograder.grading import read_grades
from autograder.sandbox import MAX_SLOTS, UID_BASE, support
from conftest import ROOT, live_processes

LESSON = "01_softmax"
FIXTURES = ROOT / "autograder" / "fixtures" / LESSON
LIMITS = ["--timeout", "10", "--notebook-timeout", "60", "--memory", "400", "--max-processes", "64"]
OUTER = 900   # seconds: the outer limit of any command that runs hostile code
FULL = 13.0
HONEST = ["correct", "partial", "blank"]
SOFTMAX_TESTS = ["softmax_rows_sum_to_one", "softmax_keeps_shape", "softmax_matches_values",
                 "softmax_is_stable", "softmax_shift_invariant", "softmax_float32", "softmax_vector",
                 "softmax_two_classes_is_sigmoid"]
TEMPERATURE_TESTS = ["temperature_values", "temperature_rejects_bad_T"]
ESCAPED = "ESCAPED-writes_outside.txt"
# The batch's kernels run as uids of their own: other test modules hold sandbox slots at the same
# time (on the other xdist worker), so "nothing left running" can only be checked on uids no one else uses.
BATCH_UID_BASE = UID_BASE + MAX_SLOTS
ORPHAN_SLOT = MAX_SLOTS - 1   # a slot no worker of the batch takes (they take the first free ones)

SUPPORT = support()
pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.xdist_group("grader-batch"),   # one worker grades the batch once for all these tests
    pytest.mark.skipif(not (SUPPORT.bwrap and SUPPORT.root and SUPPORT.cgroup),
                       reason="needs root, bubblewrap and cgroups: " + "; ".join(SUPPORT.problems)),
]

TEMPERATURE_CODE = '''def softmax_with_temperature(Z, T=1.0):
    if not T > 0:
        raise ValueError(f"the temperature T must be positive, got {T}")
    return softmax(np.asarray(Z) / T)
'''


class CodeServer:
    """Serves a correct softmax_with_temperature on a loopback port: the network fixture downloads
    its answer from here, so it would get full marks if its kernel could reach the network."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.served = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(TEMPERATURE_CODE.encode())
                self.served += 1

    def close(self):
        self.sock.close()


def cli(*args, timeout=OUTER):
    """Run `course-grade ARGS` (python -m autograder) under an outer timeout."""
    env = dict(os.environ, COURSE_GRADE_UID_BASE=str(BATCH_UID_BASE))
    return subprocess.run(["timeout", str(timeout), sys.executable, "-m", "autograder", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout + 60, env=env)



# Hostile submissions built from the blank or correct fixture (too big or too odd to keep as files).
ATTACHMENT_MB = 100
HUGE_ERROR_MB = 30


def _planted(base, edit):
    nb = json.loads((FIXTURES / f"{base}.ipynb").read_text())
    edit(nb["cells"])
    return json.dumps(nb).encode()   # ensure_ascii: a lone surrogate stays a valid JSON escape


def _solution(cells, grade_id):
    return next(c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def _lone_surrogate(cells):
    # valid JSON ("\ud83d"), but no UTF-8 can hold it: writing the notebook back used to crash the worker
    cell = _solution(cells, "softmax")
    cell["source"] = "".join(cell["source"]) + "\n# half an emoji: \ud83d"


def _display_hook(points):
    def edit(cells):
        # an execute_result before the failure: nbgrader reads it as the cell's partial credit
        _solution(cells, "softmax")["source"] = (
            "import sys\n\ndef softmax(Z):\n"
            f"    sys.displayhook({points!r})\n    raise NotImplementedError()\n")
    return edit


def _pasted_image(cells):
    # a screenshot pasted into a markdown cell: the rebuild drops the attachment, not the reference
    image = "A" * (ATTACHMENT_MB << 20)
    cells.insert(4, {"cell_type": "markdown", "metadata": {}, "id": "pasted01",
                     "source": "My plot: ![shot.png](attachment:shot.png)",
                     "attachments": {"shot.png": {"image/png": image}}})


def _huge_error(cells):
    cells.insert(4, {"cell_type": "code", "metadata": {}, "id": "hugeerr1", "execution_count": None,
                     "outputs": [], "source": f"raise ValueError('x' * {HUGE_ERROR_MB << 20})"})


PLANTED = {"lone_surrogate": ("correct", _lone_surrogate),
           "display_hook": ("blank", _display_hook("I passed")),
           "credit_above_max": ("blank", _display_hook(1000)),
           "pasted_image": ("correct", _pasted_image),
           "huge_error": ("correct", _huge_error)}


def submissions_folder(folder, names, port):
    """A folder of per-student folders, as a download would give: <student>/01_softmax.ipynb."""
    for name in names:
        if name == "wrong_name":
            (folder / name).mkdir(parents=True)
            shutil.copyfile(FIXTURES / "Untitled.ipynb", folder / name / "Untitled.ipynb")
            continue
        target = folder / name / f"{LESSON}.ipynb"
        target.parent.mkdir(parents=True)
        if name in PLANTED:
            target.write_bytes(_planted(*PLANTED[name]))
            continue
        data = (FIXTURES / f"{name}.ipynb").read_bytes()
        target.write_bytes(data.replace(b"__GRADER_TEST_PORT__", str(port).encode()))
    return folder


@dataclass
class Batch:
    course: Path
    runs: dict = field(default_factory=dict)        # name -> (CompletedProcess, seconds)
    first_grades: dict = field(default_factory=dict)
    first_results: dict = field(default_factory=dict)
    served: int = 0
    orphan: tuple = (None, None)                    # (pid, exit code) of the planted leftover

    def result(self, student):
        return st.Result.load(self.course / "grading" / "results" / LESSON / f"{student}.json")

    def grades(self, *students):
        return read_grades(LESSON, list(students), self.course)

    def cells(self, student):
        return {g.grade_id: g.score for g in self.grades(student)[student]}

    def outputs(self, student):
        nb = json.loads((self.course / "autograded" / student / LESSON / f"{LESSON}.ipynb").read_text())
        return "".join(str(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
                       for o in c.get("outputs", []))


ALL = sorted([p.stem for p in FIXTURES.glob("*.ipynb") if p.stem != "Untitled"] + ["wrong_name"]
             + list(PLANTED))


@pytest.fixture(scope="session")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("grader-batch")
    course = root / "course"
    b = Batch(course=course)
    server = CodeServer()
    try:
        def timed(name, *args):
            start = time.monotonic()
            proc = cli(*args)
            b.runs[name] = (proc, time.monotonic() - start)
            if proc.returncode:   # every later step depends on this one: stop here, saying why
                pytest.fail(f"course-grade {name} exited with {proc.returncode}:\n{proc.stdout[-2000:]}"
                            f"\n{proc.stderr[-4000:]}")
            return proc

        honest = submissions_folder(root / "honest", HONEST, server.port)
        timed("collect-honest", "collect", honest, LESSON, "--course-dir", course)
        # what a killed grading run leaves: a process under the uid of a slot that nobody holds
        orphan_uid = BATCH_UID_BASE + ORPHAN_SLOT
        orphan = subprocess.Popen(["setpriv", f"--reuid={orphan_uid}", f"--regid={orphan_uid}", "--clear-groups",
                                   "sleep", "600"])
        deadline = time.monotonic() + 30
        while not live_processes([orphan_uid]) and time.monotonic() < deadline:
            time.sleep(0.01)
        timed("first", "autograde", LESSON, "--course-dir", course, "--workers", 2, *LIMITS)
        try:
            b.orphan = (orphan.pid, orphan.wait(timeout=10))
        except subprocess.TimeoutExpired:
            orphan.kill()
            b.orphan = (orphan.pid, None)
        b.first_grades = b.grades(*HONEST)
        b.first_results = {s: b.result(s) for s in HONEST}

        everyone = submissions_folder(root / "everyone", ALL, server.port)
        timed("collect", "collect", everyone, LESSON, "--course-dir", course)
        timed("second", "autograde", LESSON, "--course-dir", course, "--workers", 2, *LIMITS)
        timed("third", "autograde", LESSON, "--course-dir", course, "--workers", 2, *LIMITS)
        timed("report", "report", LESSON, "--course-dir", course)
        timed("report-csv", "report", LESSON, "--course-dir", course, "--format", "csv")
        timed("feedback", "feedback", LESSON, "--course-dir", course)
        timed("export", "export", "--course-dir", course, "--to", root / "grades.csv")
        b.served = server.served
        # one notebook nbgrader cannot convert (a dangling attachment planted after grading): a copy of
        # the course, so that the feedback above stays as graded
        broken = root / "course-broken"
        shutil.copytree(course, broken, ignore=shutil.ignore_patterns("submitted"))
        path = broken / "autograded" / "blank" / LESSON / f"{LESSON}.ipynb"
        nb = json.loads(path.read_text())
        nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "![x](attachment:gone.png)"})
        path.write_text(json.dumps(nb))
        start = time.monotonic()
        b.runs["feedback-broken"] = (cli("feedback", LESSON, "--course-dir", broken), time.monotonic() - start)
    finally:
        server.close()
    return b


def row(batch, student):
    text = batch.runs["report-csv"][0].stdout
    return {r["student"]: r for r in csv.DictReader(io.StringIO(text))}[student]


def check(batch, student, score, status, *reasons):
    """The submission's total score, status, and the phrases its reason must contain."""
    result = batch.result(student)
    assert result is not None, f"{student} was not graded"
    assert (result.score, result.max_score, result.status) == (score, FULL, status), result.reason
    for phrase in reasons:
        assert phrase in result.reason
    r = row(batch, student)
    assert (r["status"], float(r["score"])) == (status, score)


# ---------------------------------------------------------------------------------------------
# The command itself
# ---------------------------------------------------------------------------------------------

def test_every_command_succeeded(batch):
    """Did collect, the three autograde rounds, report, feedback and export all exit with 0?"""
    failed = {name: (p.returncode, p.stderr[-2000:]) for name, (p, _) in batch.runs.items()
              if p.returncode and name != "feedback-broken"}
    assert failed == {}


def test_collect_reports_the_wrong_file_name(batch):
    """Does collect take every proper submission and skip the misnamed one, saying why?"""
    out = batch.runs["collect"][0].stdout
    assert f"{len(ALL) - 1 - len(HONEST)} taken, 0 replaced, {len(HONEST)} unchanged, 1 skipped" in out
    assert "skipped   wrong_name" in out and "wrong notebook name" in out


def test_grading_shows_progress_and_a_summary(batch):
    """Does autograde draw a progress bar and end with a summary of the statuses?"""
    proc = batch.runs["second"][0]
    assert "grading 01_softmax" in proc.stderr and "submission" in proc.stderr
    assert f"{LESSON}: {len(ALL) - 1} submission(s):" in proc.stdout


def test_workers_ran_in_parallel_sandboxes(batch):
    """Were the submissions of one round graded by two workers, each in its own sandbox slot (uid)?"""
    # Only the second round: each round starts new workers, which take whichever slots are free.
    second = [s for s in ALL if s not in HONEST + ["wrong_name"] and batch.result(s).usage]
    slots = {(batch.result(s).usage["slot"], batch.result(s).usage["uid"]) for s in second}
    assert len(slots) == 2 and len({uid for _, uid in slots}) == 2
    assert all(uid - slot == BATCH_UID_BASE for slot, uid in slots)


def test_earlier_grades_are_kept_and_not_redone(batch):
    """When more students are graded, are the earlier students left alone, grades and all?"""
    assert "3 submission(s) already graded and unchanged" in batch.runs["second"][0].stdout
    assert batch.grades(*HONEST) == batch.first_grades
    for student in HONEST:
        assert batch.result(student).key == batch.first_results[student].key
        assert batch.result(student).seconds == batch.first_results[student].seconds


def test_grading_again_does_nothing(batch):
    """Is a second run over unchanged submissions a no-op (idempotent)?"""
    proc, seconds = batch.runs["third"]
    assert f"{len(ALL) - 1} submission(s) already graded and unchanged" in proc.stdout
    assert "grading 01_softmax" not in proc.stderr
    assert seconds < 60


def test_tampering_never_earns_points(batch):
    """Is every maximum the lesson's 13 points, and no submission above it?"""
    for student in ALL:
        if student == "wrong_name":
            continue
        result = batch.result(student)
        assert result.max_score == FULL and result.score <= FULL, student


def test_hostile_submissions_stay_within_their_limits(batch):
    """Did every submission finish within its notebook limit, the honest ones quickly?"""
    for student in ALL:
        if student == "wrong_name":
            continue
        seconds = batch.result(student).seconds
        assert seconds < 60 + 30, (student, seconds)
        if student in HONEST:
            assert seconds < 45, (student, seconds)


# ---------------------------------------------------------------------------------------------
# One test per submission
# ---------------------------------------------------------------------------------------------

def test_correct(batch):
    """Does a correct submission get every point, with the status graded?"""
    check(batch, "correct", FULL, st.GRADED)
    assert batch.result("correct").reason == ""


def test_partly_correct(batch):
    """Does a softmax without the max subtraction lose exactly the stability-related tests?"""
    check(batch, "partial", 6.0, st.GRADED)
    lost = {cell for cell, score in batch.cells("partial").items() if score == 0}
    assert lost == {"softmax_is_stable", "softmax_shift_invariant", "softmax_float32", "softmax_vector",
                    "temperature_values"}


def test_blank(batch):
    """Does the untouched student notebook get zero, with the status graded?"""
    check(batch, "blank", 0.0, st.GRADED)


def test_infinite_loop(batch):
    """Is an endless loop interrupted after the cell limit, the rest of the notebook still graded?"""
    check(batch, "infinite_loop", FULL, st.TIMED_OUT, "ran longer than 10 s and was interrupted")


def test_loop_ignoring_interrupts(batch):
    """Is a loop that swallows the interrupt stopped, keeping the points earned before it?"""
    check(batch, "loop_ignoring_interrupts", 10.0, st.TIMED_OUT, "did not respond after the interrupt",
          "2 test cells after it could not run")
    assert all(batch.cells("loop_ignoring_interrupts")[c] > 0 for c in SOFTMAX_TESTS)


def test_memory_bomb(batch):
    """Is a memory bomb killed at the memory limit, keeping the points earned before it?"""
    check(batch, "memory_bomb", 10.0, st.MEMORY, "used more than 400 MB")
    assert batch.result("memory_bomb").usage["oom_kills"] >= 1
    assert all(batch.cells("memory_bomb")[c] > 0 for c in SOFTMAX_TESTS)


def test_sys_exit(batch):
    """Does sys.exit() in a cell leave the kernel running and the grade intact, with a note?"""
    check(batch, "sys_exit", FULL, st.GRADED, "called sys.exit()")


def test_os_exit(batch):
    """Is os._exit() reported as a crashed kernel, the tests after it failed, the ones before kept?"""
    check(batch, "os_exit", 10.0, st.CRASHED, "the kernel died in cell", "(exit code 1)")
    assert all(batch.cells("os_exit")[c] == 0 for c in TEMPERATURE_TESTS)


def test_kernel_crash(batch):
    """Is a segmentation fault reported as a crashed kernel, with the signal?"""
    check(batch, "kernel_crash", 10.0, st.CRASHED, "SIGSEGV")


def test_what_a_killed_run_left_is_killed_before_grading(batch):
    """Is a process left running under a free slot's uid (by a killed run) killed when grading starts, with a note?"""
    pid, returncode = batch.orphan
    assert returncode == -9
    # the planted process is among those reported (a run killed earlier on this machine may have left more)
    note = re.search(rf"note: (\d+) process\(es\) left by an earlier grading run were still running in sandbox "
                     rf"slot {ORPHAN_SLOT} \(pids ([0-9, ]+)\)", batch.runs["first"][0].stdout)
    assert note, batch.runs["first"][0].stdout
    pids = [int(p) for p in note.group(2).split(", ")]
    assert pid in pids and int(note.group(1)) == len(pids), note.group(0)


def test_fork_bomb(batch):
    """Is a fork bomb held at the process limit, every test (before it) keeping its points?"""
    check(batch, "fork_bomb", FULL, st.PROCESSES, "refused (limit 64)")
    assert batch.result("fork_bomb").usage["uid"] in range(BATCH_UID_BASE, BATCH_UID_BASE + MAX_SLOTS)
    assert live_processes(range(BATCH_UID_BASE, BATCH_UID_BASE + MAX_SLOTS)) == []


def test_network(batch):
    """Can a kernel not reach a port the grader's machine serves (so its download-the-answer fails)?"""
    check(batch, "network", 10.0, st.GRADED)
    out = batch.outputs("network")
    assert "network: refused" in out and "interfaces: ['lo']" in out
    assert batch.served == 0


def test_reads_other_files(batch):
    """Can a kernel find no solution, no other student's notebook and no gradebook to copy from?"""
    check(batch, "reads_other_files", 10.0, st.GRADED)
    assert "readable: []" in batch.outputs("reads_other_files")
    # they were there to be found outside the sandbox
    assert (batch.course / "gradebook.db").exists()
    assert "def softmax_with_temperature" in (batch.course / "submitted" / "correct" / LESSON
                                              / f"{LESSON}.ipynb").read_text()


def test_writes_outside(batch):
    """Do writes outside the kernel's folder leave nothing behind, its correct work keeping its points?"""
    check(batch, "writes_outside", FULL, st.GRADED)
    places = [ROOT, ROOT / "solutions", ROOT / "course", Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"),
              Path("/run"), Path("/home/student"), Path.home()]
    assert [str(p) for p in places if (p / ESCAPED).exists()] == []
    assert list(batch.course.rglob(ESCAPED)) == []


def test_deleted_test_cells(batch):
    """Are deleted test cells restored: the passing one keeps its point, the failing ones score zero?"""
    check(batch, "deleted_test_cell", 10.0, st.TAMPERED, "'softmax_vector' was deleted",
          "'temperature_values' was deleted")
    cells = batch.cells("deleted_test_cell")
    assert cells["softmax_vector"] == 1 and cells["temperature_values"] == 0


def test_edited_test_cells(batch):
    """Are test cells edited to pass restored, so that they fail on an unanswered exercise?"""
    check(batch, "edited_test_cell", 10.0, st.TAMPERED, "'temperature_values': its code was edited")
    assert all(batch.cells("edited_test_cell")[c] == 0 for c in TEMPERATURE_TESTS)


def test_changed_metadata(batch):
    """Are points raised to 1000 and a fake 500-point cell ignored, the maximum staying 13?"""
    check(batch, "changed_metadata", FULL, st.TAMPERED, "points 1 -> 1000", "('bonus')")
    grades = batch.grades("changed_metadata")["changed_metadata"]
    assert {g.grade_id: g.max_score for g in grades}["softmax_rows_sum_to_one"] == 1
    assert "bonus" not in {g.grade_id for g in grades}


def test_redefined_checks(batch):
    """Does redefining the lesson's checks to pass gain nothing (they are restored before each test)?"""
    check(batch, "redefines_checks", 10.0, st.TAMPERED, "redefines check_array, check_raises")
    assert all(batch.cells("redefines_checks")[c] == 0 for c in TEMPERATURE_TESTS)


def test_invalid_json(batch):
    """Is a notebook cut off mid-way graded zero as not a valid notebook, with the parse error?"""
    check(batch, "invalid_json", 0.0, st.INVALID, "not valid JSON")


def test_empty_file(batch):
    """Is an empty file graded zero as not a valid notebook?"""
    check(batch, "empty", 0.0, st.INVALID, "empty (0 bytes)")


def test_wrong_file_name(batch):
    """Is a misnamed notebook listed as not collected, with the reason, and zero in the export?"""
    r = row(batch, "wrong_name")
    assert r["status"] == st.NOT_COLLECTED and "wrong notebook name" in r["reason"]
    exported = {e["student_id"]: e for e in csv.DictReader(open(batch.course.parent / "grades.csv"))}
    assert exported["wrong_name"]["status"] == st.NOT_COLLECTED
    assert float(exported["wrong_name"]["score"]) == 0


def test_huge_output(batch):
    """Is 300 MB of printing cut to the output limit, the grade intact, the notebook kept small?"""
    check(batch, "huge_output", FULL, st.OUTPUT, "printed more than 2 MB")
    graded = batch.course / "autograded" / "huge_output" / LESSON / f"{LESSON}.ipynb"
    assert graded.stat().st_size < 5 * 2**20


# ---------------------------------------------------------------------------------------------
# Report, feedback, export
# ---------------------------------------------------------------------------------------------

def test_report_lists_every_student_with_status_and_reason(batch):
    """Does the report give every student one line, and a reason under every unusual status?"""
    text = batch.runs["report"][0].stdout
    for student in ALL:
        assert any(line.startswith(student + " ") for line in text.splitlines()), student
    for student in ALL:
        r = row(batch, student)
        if r["status"] != st.GRADED:
            assert r["reason"], student


def test_feedback_for_every_graded_student(batch):
    """Is there HTML feedback for each graded student, without hidden tests, opening with any problem?"""
    graded = [s for s in ALL if s != "wrong_name"]
    for student in graded:
        html = (batch.course / "feedback" / student / LESSON / f"{LESSON}.html").read_text()
        assert "default_rng(1).normal(scale=5.0, size=(50, 7))" not in html   # a hidden test line
    html = (batch.course / "feedback" / "infinite_loop" / LESSON / f"{LESSON}.html").read_text()
    assert "Grading status: timed out" in html
    assert "cells deleted or tampered" in (batch.course / "feedback" / "edited_test_cell" / LESSON
                                           / f"{LESSON}.html").read_text()


def test_export_has_one_row_per_student_with_status(batch):
    """Does the export hold one row per student with score, maximum and status?"""
    rows = list(csv.DictReader(open(batch.course.parent / "grades.csv")))
    assert sorted(r["student_id"] for r in rows) == ALL
    by_student = {r["student_id"]: r for r in rows}
    assert by_student["correct"]["score"] == "13.0" and by_student["correct"]["max_score"] == "13.0"
    assert by_student["memory_bomb"]["status"] == st.MEMORY
    assert {r["assignment"] for r in rows} == {LESSON}


# ---------------------------------------------------------------------------------------------
# Planted submissions (PLANTED): grades a student cannot forge, rows that cannot vanish
# ---------------------------------------------------------------------------------------------

def _file(batch, folder, student, suffix="ipynb"):
    base = batch.course / folder if folder != "executed" else batch.course / "grading" / "executed"
    return base / student / LESSON / f"{LESSON}.{suffix}"


def test_lone_surrogate_is_repaired_and_graded(batch):
    """Is a solution with a lone '\\ud83d' in a comment graded in full (no grader error), the repair said?"""
    check(batch, "lone_surrogate", FULL, st.GRADED, "1 invalid Unicode character", "U+FFFD")
    rows = {r["student_id"]: r for r in csv.DictReader(open(batch.course.parent / "grades.csv"))}
    assert rows["lone_surrogate"]["score"] == "13.0"


def test_displayed_results_are_not_partial_credit(batch):
    """Does a blank notebook whose function calls sys.displayhook('I passed') still score zero?"""
    check(batch, "display_hook", 0.0, st.GRADED)


def test_partial_credit_above_the_maximum_is_not_a_grader_error(batch):
    """Does displaying 1000 in every test cell give zero, with a grade saved (not 'grader error')?"""
    check(batch, "credit_above_max", 0.0, st.GRADED)
    assert all(score == 0 for score in batch.cells("credit_above_max").values())


def test_pasted_image_gets_feedback(batch):
    """Is a notebook with a 100 MB pasted image graded and given feedback, the image replaced by a note?"""
    assert _file(batch, "submitted", "pasted_image").stat().st_size > ATTACHMENT_MB << 20
    check(batch, "pasted_image", FULL, st.GRADED, "pasted image shot.png not kept")
    html = _file(batch, "feedback", "pasted_image", "html").read_text()
    assert "not kept by the grader" in html and len(html) < 5 << 20


def test_huge_error_is_cut_in_every_file(batch):
    """Is a 30 MB exception message cut to the output limit in the executed, autograded and feedback files?"""
    check(batch, "huge_error", FULL, st.OUTPUT, "printed more than 2 MB")
    for folder, suffix in (("executed", "ipynb"), ("autograded", "ipynb"), ("feedback", "html")):
        assert _file(batch, folder, "huge_error", suffix).stat().st_size < 3 << 20, folder
    assert "ValueError" in _file(batch, "autograded", "huge_error").read_text()


def test_one_broken_feedback_does_not_stop_the_others(batch):
    """When nbgrader cannot convert one notebook, do the others get feedback and that one a short page?"""
    proc, _ = batch.runs["feedback-broken"]
    assert proc.returncode == 1 and "warning: blank:" in proc.stderr and "gone.png" in proc.stderr
    broken = batch.course.parent / "course-broken" / "feedback"
    page = (broken / "blank" / LESSON / f"{LESSON}.html").read_text()
    assert "Score: 0 / 13" in page and "ask your instructor" in page
    for student in ALL:
        if student not in ("wrong_name", "blank"):
            assert "Softmax" in (broken / student / LESSON / f"{LESSON}.html").read_text(), student
