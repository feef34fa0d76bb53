"""Hostile submissions that must not forge a grade, a report line or a missing row (no kernel needed).

Links out of a submission, forged student ids, invalid Unicode, partial credit printed by the
student's code, pasted images and outputs beyond the limit. The same submissions go through the
real command in test_grader_batch.py (PLANTED); these tests check each rule on its own, quickly.
"""

import json
import subprocess
import sys
import zipfile

import nbformat
import pytest

from autograder.collect import SKIPPED, TAKEN, collect, skipped_students
from autograder.coursedir import GradingCourse
from autograder.outputs import TRUNCATED, grader_credit, limit_outputs, output_size
from autograder.rebuild import rebuild
from autograder.worker import read_submission
from conftest import ROOT

LESSON = "01_softmax"
FIXTURES = ROOT / "autograder" / "fixtures" / LESSON
NOTEBOOK = (FIXTURES / "correct.ipynb").read_bytes()
SOLUTION = ROOT / "solutions" / LESSON / f"{LESSON}.ipynb"


@pytest.fixture
def course(tmp_path):
    return GradingCourse(tmp_path / "course")


def by_student(outcomes):
    return {o.student: o for o in outcomes}


def student_folder(root, name, data=NOTEBOOK):
    path = root / name / f"{LESSON}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------
# collect: links, ids, case
# ---------------------------------------------------------------------------------------------

def test_a_link_to_the_solutions_is_not_collected(tmp_path, course):
    """Is a submission that is a symbolic link to the instructor's notebook left out, with the reason?"""
    src = tmp_path / "download"
    (src / "mallory").mkdir(parents=True)
    (src / "mallory" / f"{LESSON}.ipynb").symlink_to(SOLUTION)
    out = by_student(collect(course, src, LESSON))
    assert out["mallory"].action == SKIPPED, out["mallory"]
    assert "symbolic link" in out["mallory"].reason and str(SOLUTION) in out["mallory"].reason
    assert not course.submitted("mallory", LESSON).exists()
    assert "mallory" in skipped_students(course, LESSON)


def test_a_folder_linked_to_another_student_is_not_collected(tmp_path, course):
    """Is a student folder that is a link to another's (or holds one) skipped, the other taken once?"""
    src = tmp_path / "download"
    student_folder(src, "alice")
    (src / "bob").symlink_to(src / "alice")                       # the whole folder is a link
    (src / "carol").mkdir()
    (src / "carol" / LESSON).symlink_to(src / "alice")            # a linked folder inside
    out = by_student(collect(course, src, LESSON))
    assert out["alice"].action == TAKEN
    assert out["bob"].action == SKIPPED and "the student's folder is a symbolic link" in out["bob"].reason
    assert out["carol"].action == SKIPPED and "only symbolic links" in out["carol"].reason
    assert course.students(LESSON) == ["alice"]


def test_a_link_beside_a_real_notebook_is_left_out_and_said(tmp_path, course):
    """Is the student's own notebook taken, and a link next to it left out and mentioned?"""
    src = tmp_path / "download"
    student_folder(src, "dave")
    (src / "dave" / "answers.ipynb").symlink_to(SOLUTION)
    out = by_student(collect(course, src, LESSON))
    assert out["dave"].action == TAKEN and "left out the symbolic link" in out["dave"].reason
    assert course.submitted("dave", LESSON).read_bytes() == NOTEBOOK


def test_a_link_in_a_zip_is_not_collected(tmp_path, course):
    """Is a symbolic-link entry in a zip (its 'content' is a path) refused instead of filed?"""
    src = tmp_path / "links.zip"
    with zipfile.ZipFile(src, "w") as z:
        info = zipfile.ZipInfo(f"mallory/{LESSON}.ipynb")
        info.external_attr = (0o120777 << 16)   # S_IFLNK
        z.writestr(info, str(SOLUTION))
        z.writestr(f"alice/{LESSON}.ipynb", NOTEBOOK)
    out = by_student(collect(course, src, LESSON))
    assert out["mallory"].action == SKIPPED and "symbolic link" in out["mallory"].reason
    assert course.students(LESSON) == ["alice"]


def test_an_id_with_a_newline_cannot_forge_a_report_line(tmp_path):
    """Is an id holding a newline refused, and printed escaped, so no line of the output is forged?"""
    src = tmp_path / "download"
    student_folder(src, "eve\ntaken     mallory")
    student_folder(src, "frank")
    run = subprocess.run([sys.executable, "-m", "autograder", "collect", str(src), LESSON,
                          "--course-dir", str(tmp_path / "course")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert not any(line.startswith("taken     mallory") for line in lines), run.stdout
    assert "control character" in run.stdout and "eve\\ntaken" in run.stdout
    assert GradingCourse(tmp_path / "course").students(LESSON) == ["frank"]


def test_ids_with_path_separators_are_refused(tmp_path, course):
    """Is an id read from a zip name with a path separator refused with that reason?"""
    src = tmp_path / "lms.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(f"..\\mallory_1_{LESSON}.ipynb", NOTEBOOK)
    outcomes = collect(course, src, LESSON)
    assert [o.action for o in outcomes] == [SKIPPED]
    assert "path separator" in outcomes[0].reason
    assert course.students(LESSON) == []


def test_ids_differing_only_by_case_are_a_conflict(tmp_path, course):
    """Are 'Alice' and 'alice' both refused as a conflict, and a later 'ALICE' too, nothing overwritten?"""
    other = (FIXTURES / "partial.ipynb").read_bytes()
    src = tmp_path / "one"
    student_folder(src, "Alice")
    student_folder(src, "alice", other)
    out = by_student(collect(course, src, LESSON))
    assert out["Alice"].action == out["alice"].action == SKIPPED
    assert "differs only by case" in out["alice"].reason
    assert course.students(LESSON) == []

    collect(course, student_folder(tmp_path / "two", "alice").parent.parent, LESSON)
    later = by_student(collect(course, student_folder(tmp_path / "three", "ALICE", other).parent.parent, LESSON))
    assert later["ALICE"].action == SKIPPED and "'alice' (already collected)" in later["ALICE"].reason
    assert course.students(LESSON) == ["alice"]
    assert course.submitted("alice", LESSON).read_bytes() == NOTEBOOK


# ---------------------------------------------------------------------------------------------
# Invalid Unicode, partial credit, attachments, output limits
# ---------------------------------------------------------------------------------------------

def test_a_lone_surrogate_is_repaired(tmp_path):
    """Is a notebook with a lone '\\ud83d' escape (valid JSON) read, repaired and writable as UTF-8?"""
    nb = json.loads(NOTEBOOK)
    nb["cells"][11]["source"] = "".join(nb["cells"][11]["source"]) + "\n# \ud83d"
    path = tmp_path / "s.ipynb"
    path.write_text(json.dumps(nb))
    read, problem = read_submission(path)
    assert problem is None
    assert "\ufffd" in read.cells[11].source
    nbformat.writes(read).encode("utf-8")   # raised UnicodeEncodeError before the repair


def _test_cell(outputs, points=2):
    cell = nbformat.v4.new_code_cell("check()")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "t",
                                 "points": points, "schema_version": 3}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


RESULT = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "1000"}}
ERROR = {"output_type": "error", "ename": "AssertionError", "evalue": "wrong", "traceback": ["AssertionError: wrong"]}


@pytest.mark.parametrize("outputs, score", [([RESULT, ERROR], 0.0), ([RESULT], 2.0), ([ERROR], 0.0),
                                            ([dict(RESULT, data={"text/plain": "'I passed'"}), ERROR], 0.0)])
def test_points_never_come_from_an_output_of_the_student(outputs, score):
    """Does a test cell score all or nothing, whatever execute_result (e.g. from sys.displayhook) it shows?"""
    from nbgrader.utils import determine_grade

    nb = nbformat.v4.new_notebook(cells=[_test_cell(outputs)])
    grader_credit(nb)
    assert determine_grade(nb.cells[0]) == (score, 2.0)   # raised "partial credit cannot be greater" before
    assert [o.output_type for o in nb.cells[0].outputs][:1] in (["display_data"], ["error"])


def test_pasted_images_are_dropped_with_a_note_and_the_feedback_renders():
    """Is a pasted image's reference replaced by a note (reported), so nbconvert renders the notebook?"""
    from nbconvert import HTMLExporter

    template = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lesson")])
    template.cells[0].metadata["nbgrader"] = {"grade_id": "intro", "locked": True, "grade": False,
                                              "solution": False, "schema_version": 3}
    mine = nbformat.v4.new_markdown_cell('My plot: ![shot](attachment:shot.png) and <img src="attachment:b.png">')
    mine["attachments"] = {"shot.png": {"image/png": "A" * (1 << 20)}}
    submitted = nbformat.v4.new_notebook(cells=[template.cells[0], mine])
    out = rebuild(template, submitted)
    cell = out.nb.cells[1]
    assert "attachments" not in cell and "attachment:" not in cell.source
    assert "not kept by the grader" in cell.source
    assert any("pasted image" in n and "shot.png" in n for n in out.notes)
    html, _ = HTMLExporter().from_notebook_node(out.nb)   # raised "missing attachment: shot.png" before
    assert "not kept by the grader" in html


def test_a_huge_error_is_cut_to_the_limit_and_still_fails_the_cell():
    """Is a 40 MB exception message cut to the output limit, kept as an error with its last line?"""
    big = "x" * (40 << 20)
    error = {"output_type": "error", "ename": "ValueError", "evalue": big,
             "traceback": ["Traceback (most recent call last)", "  File <cell>", f"ValueError: {big}"]}
    nb = nbformat.v4.new_notebook(cells=[_test_cell([error])])
    assert limit_outputs(nb, 2 << 20, f"\n{TRUNCATED}: the notebook printed more than 1 MB]\n")
    outs = nb.cells[0].outputs
    assert sum(output_size(o) for o in outs) < 100_000
    assert outs[0].output_type == "error" and outs[0].traceback[-1].startswith("ValueError: xxx")
    assert any(TRUNCATED in o.get("text", "") for o in outs)
    assert len(nbformat.writes(nb)) < 200_000


def test_outputs_within_the_limit_are_left_alone():
    """Are outputs under the limit kept exactly as they were (and nothing reported)?"""
    nb = nbformat.v4.new_notebook(cells=[_test_cell([RESULT, ERROR])])
    before = nbformat.writes(nb)
    assert not limit_outputs(nb, 2 << 20, "note")
    assert nbformat.writes(nb) == before


def test_many_outputs_add_up_to_the_limit():
    """Does the limit count the whole notebook (many small outputs), not each output alone?"""
    line = {"output_type": "stream", "name": "stdout", "text": "y" * 100_000}
    cells = [nbformat.v4.new_code_cell("print()") for _ in range(50)]
    for cell in cells:
        cell.outputs = [nbformat.from_dict(line)]
    nb = nbformat.v4.new_notebook(cells=cells)
    assert limit_outputs(nb, 1 << 20, f"{TRUNCATED}]")
    assert sum(output_size(o) for c in nb.cells for o in c.outputs) <= (1 << 20) + 100


def test_the_collect_log_holds_no_raw_control_characters(tmp_path, course):
    """Is the reason kept for a refused id free of raw control characters (the report prints it)?"""
    src = tmp_path / "download"
    student_folder(src, "x\x1b[2Jy")
    outcomes = collect(course, src, LESSON)
    assert all(o.source.isprintable() and o.reason.isprintable() for o in outcomes)



def test_a_student_the_grader_failed_on_keeps_a_row(tmp_path, course, monkeypatch):
    """Does a student with a result but no gradebook entry (the grader failed) still get an export row?"""
    from autograder import status as st
    from autograder.export import export_rows

    from autograder import export

    def gradebook_rows(course):   # the gradebook: only alice is in it
        row = {"assignment": LESSON, "duedate": "", "timestamp": "", "student_id": "alice", "last_name": "",
               "first_name": "", "email": "", "raw_score": "13.0", "late_submission_penalty": "0.0",
               "score": "13.0", "max_score": "13.0"}
        return [row], {(LESSON, "alice")}

    monkeypatch.setattr(export, "gradebook_rows", gradebook_rows)
    course.root.mkdir(parents=True)
    course.db_path.write_bytes(b"")
    for student in ("alice", "bob"):
        path = course.submitted(student, LESSON)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(NOTEBOOK)
        result = st.Result(lesson=LESSON, student=student)
        if student == "bob":
            result.add(st.GRADER_ERROR, "the grader failed on this submission: KeyError: 'x'")
        result.save(course.result_path(student, LESSON))
    rows = {r["student_id"]: r for r in export_rows(course)}
    assert sorted(rows) == ["alice", "bob"]
    assert (rows["bob"]["score"], rows["bob"]["max_score"], rows["bob"]["status"]) == ("0.0", "13.0", st.GRADER_ERROR)
    assert "KeyError" in rows["bob"]["reason"]
