"""The instructor's formgrader (``make instructor``) shows what ``course-grade`` graded, in a real browser.

A scratch course folder is served by the instructor's JupyterLab, started the way ``make instructor``
starts it (``python -m autograder.instructor --course-dir ...``), with this environment's bin/ left off
PATH, as when nobody activated the venv. The formgrader first creates the course's gradebook (nbgrader
runs ``alembic`` for that); then one student's solution of lesson 01 is collected and autograded with
``course-grade``, while the server keeps running, as in a class. In headless Chromium, JupyterLab's
Nbgrader menu opens the formgrader, which must list every lesson of solutions/, and lesson 01's
submissions page must show the student with the score ``course-grade`` gave (screenshot:
build/screenshots/formgrader_01_softmax.png). No panel may show nbgrader's exchange-directory error.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest

from autograder.lessons import ROOT, lesson_ids

from .conftest import server_environment, server_options, start_server
from .lab_page import route_loopback_only

pytestmark = [pytest.mark.browser, pytest.mark.notebooks, pytest.mark.xdist_group("browser")]

LESSON = "01_softmax"
STUDENT = "ada"
SOLVED = ROOT / "autograder" / "fixtures" / LESSON / "correct.ipynb"
SCREENSHOTS = ROOT / "build" / "screenshots"
SHOT = SCREENSHOTS / f"formgrader_{LESSON}.png"
VIEWPORT = {"width": 1400, "height": 1000}
GRADE_TIMEOUT = 900      # seconds: collect and autograde one submission on a busy two-core machine
PAGE_TIMEOUT = 120_000   # milliseconds: JupyterLab and the formgrader's tables load
API_TIMEOUT = 120        # seconds: the formgrader's first answer (it creates the gradebook)
EXCHANGE_ERROR = "exchange directory"
# the formgrader's pages keep their table's models in `models`, with `loaded` set once the API answered
LOADED = "() => window.models !== undefined && window.models.loaded === true"


def course_grade(*args):
    run = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                         timeout=GRADE_TIMEOUT, cwd=ROOT)
    assert run.returncode == 0, f"course-grade {' '.join(map(str, args))} failed:\n{run.stdout}\n{run.stderr}"
    return run


def without_venv_on_path(env):
    """``env`` as in a shell where the venv was never activated: its bin/ is not on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != bin_dir)
    env.pop("VIRTUAL_ENV", None)
    env.pop("COURSE_GRADE_DIR", None)
    return env


@pytest.fixture(scope="module")
def instructor(tmp_path_factory):
    """The instructor's server on an empty scratch course, then one graded submission of lesson 01."""
    scratch = tmp_path_factory.mktemp("instructor")
    course = scratch / "course"
    course.mkdir()
    env = without_venv_on_path(server_environment(scratch))

    def command(port, token):   # exactly what `make instructor` runs, plus the test server's options
        return [sys.executable, "-m", "autograder.instructor", "--course-dir", str(course), "--",
                *server_options(port, token)]

    server = start_server(command, course, scratch, env, cwd=scratch)
    try:
        seen = {}
        try:
            # the first call creates the gradebook (nbgrader runs `alembic`): slow on a busy machine
            seen["students_before"] = server.api("formgrader/api/students", timeout=API_TIMEOUT)
        except urllib.error.HTTPError as error:
            seen["students_before"] = f"HTTP {error.code}; the server's log ends with:\n{server.log_tail(25)}"
        seen["gradebook_before"] = (course / "gradebook.db").is_file()
        downloads = scratch / "downloads" / STUDENT
        downloads.mkdir(parents=True)
        (downloads / f"{LESSON}.ipynb").write_bytes(SOLVED.read_bytes())
        course_grade("collect", downloads.parent, LESSON, "--course-dir", course)
        course_grade("autograde", LESSON, "--course-dir", course)
        seen["export"] = course_grade("export", "--course-dir", course, "--to", "-").stdout
        yield server, seen
    finally:
        server.stop()


@pytest.fixture(scope="module")
def formgrader(instructor, chromium):
    """What the browser showed: the lessons the formgrader lists, lesson 01's submissions, any error."""
    server, seen = instructor
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    SHOT.unlink(missing_ok=True)
    context = chromium.new_context(viewport=VIEWPORT)
    route_loopback_only(context, "127.0.0.1")
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT)
    try:
        page.goto(server.page_url("lab"))
        page.locator("#jp-main-dock-panel").wait_for()
        menu = page.locator(".lm-MenuBar-item", has_text="Nbgrader")
        menu.click()
        items = page.locator(".lm-Menu-content .lm-Menu-item:visible .lm-Menu-itemLabel")
        items.first.wait_for()
        seen["menu"] = [t.strip() for t in items.all_inner_texts()]
        page.locator(".lm-Menu-item:visible", has_text="Formgrader").first.click()
        frame = page.locator("iframe[src*='formgrader']").element_handle().content_frame()
        frame.wait_for_function(LOADED)
        seen["lessons"] = [t.strip() for t in frame.locator("#main-table td.name").all_inner_texts()]
        seen["texts"] = [frame.locator("body").inner_text()]
        row = frame.locator("#main-table tr", has_text=LESSON)
        if row.count():
            row.first.locator("td.num-submissions a").click()
            frame.wait_for_url(f"**/formgrader/manage_submissions/{LESSON}")
            frame.wait_for_function(LOADED)
        rows = frame.locator("#main-table tr:has(td.student-id)")
        seen["submissions"] = {rows.nth(i).locator("td.student-id").inner_text().strip():
                               rows.nth(i).locator("td.score").inner_text().strip() for i in range(rows.count())}
        seen["texts"].append(frame.locator("body").inner_text())
        seen["texts"].append(page.locator("body").inner_text())
        page.screenshot(path=str(SHOT))
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / f"formgrader_{LESSON}-failed.png"))
        raise
    finally:
        context.close()
    seen["log"] = server.log.read_text(errors="replace")
    return seen


def test_formgrader_works_without_the_venv_activated(instructor):
    """Does the formgrader answer on a fresh course (its gradebook made with alembic) without the venv on PATH?"""
    server, seen = instructor
    assert seen["students_before"] == [], f"/formgrader/api/students on an empty course: {seen['students_before']}"
    assert seen["gradebook_before"], "the formgrader did not create the course's gradebook.db"


def test_formgrader_lists_every_lesson(formgrader):
    """Does the formgrader list every lesson of solutions/, without anything activated by hand?"""
    assert sorted(formgrader["lessons"]) == lesson_ids(), (
        f"the formgrader lists {formgrader['lessons']}, solutions/ has {lesson_ids()}")


def test_graded_submission_appears_with_its_score(formgrader):
    """Does lesson 01's page show the student course-grade graded, with the score course-grade exported?"""
    rows = [r for r in csv.DictReader(io.StringIO(formgrader["export"])) if r["student_id"] == STUDENT]
    assert len(rows) == 1 and rows[0]["status"] == "graded", f"course-grade export: {rows}"
    score, maximum = float(rows[0]["score"]), float(rows[0]["max_score"])
    assert maximum > 0 and score == maximum, f"course-grade did not give the solution full marks: {rows[0]}"
    assert formgrader["submissions"] == {STUDENT: f"{score:g} / {maximum:g}"}, (
        f"the formgrader shows {formgrader['submissions']} for {LESSON}; course-grade graded {STUDENT} "
        f"{score:g} / {maximum:g}")
    assert SHOT.is_file(), f"no screenshot at {SHOT}"


def test_no_exchange_error_and_no_server_error(formgrader, instructor):
    """Is the instructor's server free of the exchange-directory error and of server-side tracebacks?"""
    server, _ = instructor
    shown = "\n".join(formgrader["texts"])
    assert EXCHANGE_ERROR not in shown.lower(), f"a panel shows nbgrader's exchange error:\n{shown[-2000:]}"
    assert "Assignment List" not in formgrader["menu"], (
        f"the Nbgrader menu offers the exchange-based Assignment List: {formgrader['menu']}")
    with pytest.raises(urllib.error.HTTPError) as answer:
        server.api("assignments")
    assert answer.value.code == 404, "the exchange-based assignment_list extension is loaded"
    for bad in ("Traceback (most recent call last)", "FileNotFoundError", EXCHANGE_ERROR):
        assert bad not in formgrader["log"], f"the server log shows {bad!r}:\n{server.log_tail(60)}"
