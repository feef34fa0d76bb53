"""Every lesson as a student meets it: in JupyterLab, in a real (headless) browser.

Running notebooks headlessly cannot see widgets: a widget whose callback raises, or that shows
"Error displaying widget", still passes nbclient. Here, for every lesson (new lessons are picked up by
themselves), the student notebook from lessons/ with its solution cells filled in from solutions/ is
opened in JupyterLab, run with Run > Run All Cells, and checked the way a person would:

1. no cell, widget output or log console entry shows a traceback, and every cell ran;
2. every widget a cell displays renders (no "Error displaying widget", none stuck loading);
3. the lesson's main widget redraws when its first control moves (screenshot in build/screenshots/);
4. nbgrader's Validate button reports success on that completed notebook ...
5. ... and failures on the untouched student notebook.

The main widget is the first widget displayed by a cell tagged "main-widget" (cell metadata
``tags``), or, in a lesson without that tag, the first displayed panel that holds both a control and
an Output area, as ``course.widgets.live_plot`` panels do.

Cells are numbered from 1, as in JupyterLab's status bar ("Cell 12/35").

One JupyterLab server and one browser serve the whole session; lessons are driven one after the
other, each once, and the tests below read what was seen. ``make test-browser`` runs only this suite.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field

import nbformat
import pytest

from autograder.lessons import ROOT, lesson_ids, lesson_path, read_notebook, solution_path

from .lab_page import MAIN_WIDGET_ATTR, MAIN_WIDGET_TAG, NotebookPage, StepError, route_loopback_only, summary

pytestmark = [pytest.mark.browser, pytest.mark.notebooks, pytest.mark.xdist_group("browser")]

LESSON_IDS = lesson_ids()
SCREENSHOTS = ROOT / "build" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1200}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
# Timeouts in seconds: generous (two cores, other tests running) but finite.
OPEN_TIMEOUT = 120       # JupyterLab loads the notebook, the kernel starts
RUN_TIMEOUT = 300        # Run All Cells, in quick mode
WIDGET_TIMEOUT = 60      # widget views finish rendering
INTERACT_TIMEOUT = 60    # the main widget redraws after its control moves
VALIDATE_TIMEOUT = 300   # nbgrader's Validate runs the whole notebook in a fresh kernel


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def completed_notebook(lesson):
    """The student notebook of ``lesson`` with every solution cell filled in from solutions/.

    This is what a student who solved everything hands in: the locked cells (and their nbgrader
    checksums) are the released ones; only the cells the student may edit carry the solution code.
    """
    student = read_notebook(lesson_path(lesson))
    answers = {nbgrader_meta(c)["grade_id"]: c.source for c in read_notebook(solution_path(lesson)).cells
               if nbgrader_meta(c).get("solution")}
    to_fill = {nbgrader_meta(c).get("grade_id") for c in student.cells if nbgrader_meta(c).get("solution")}
    if to_fill != set(answers):
        raise StepError(f"the solution cells of lessons/{lesson} and solutions/{lesson} differ "
                        f"({sorted(to_fill ^ set(answers))}): run `make release`")
    for cell in student.cells:
        if nbgrader_meta(cell).get("solution"):
            lines = answers[nbgrader_meta(cell)["grade_id"]].splitlines()
            cell.source = "\n".join(line for line in lines if not SOLUTION_MARKER.match(line))
    return student


def first_line(cell):
    lines = [line for line in cell.source.splitlines() if line.strip()]
    return (lines[0][:70] if lines else "(empty)")


@dataclass
class LessonInBrowser:
    """What was seen while driving one lesson in the browser."""

    lesson: str
    failed: dict = field(default_factory=dict)      # step -> what went wrong
    seconds: dict = field(default_factory=dict)     # step -> time it took
    not_run: list = field(default_factory=list)     # indexes of code cells that never ran
    errors: list = field(default_factory=list)      # tracebacks and widget errors, described
    widget_problems: list = field(default_factory=list)
    widgets_displayed: int = 0
    main: dict = field(default_factory=dict)
    validation: dict = field(default_factory=dict)  # "completed" / "untouched" -> dialog contents
    steps: dict = field(default_factory=dict)       # a lesson's own steps (LESSON_STEPS) -> what they saw

    def attempt(self, name, action, page=None):
        """Run one step; record its time, or what went wrong (with a screenshot of the page)."""
        started = time.monotonic()
        try:
            action()
            return True
        except Exception as exc:  # noqa: BLE001 - every failure becomes a test failure message
            self.failed[name] = f"{type(exc).__name__}: {exc}"
            if page is not None:
                try:
                    shot = SCREENSHOTS / f"{self.lesson}-failed-{name.replace(' ', '-')}.png"
                    page.screenshot(path=str(shot))
                except Exception:  # noqa: BLE001 - the screenshot is only a help
                    pass
            return False
        finally:
            self.seconds[name] = round(time.monotonic() - started, 1)

    def require(self, *steps):
        """Fail the calling test when a step it depends on did not happen."""
        broken = {s: self.failed[s] for s in ("prepare", *steps) if s in self.failed}
        if broken:
            pytest.fail(f"{self.lesson}: " + "; ".join(f"{s} failed: {m}" for s, m in broken.items()),
                        pytrace=False)


def prepare(server, lesson):
    """Copy the lesson folder twice into the server's folder: completed/ (solved) and untouched/."""
    for kind in ("completed", "untouched"):
        target = server.root / kind / lesson
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(lesson_path(lesson).parent, target)
    nbformat.write(completed_notebook(lesson), server.root / "completed" / lesson / f"{lesson}.ipynb")


def check_cells(result, nb, saved):
    """Turn what the page shows into the lesson's errors and widget problems."""
    nb.expand_widget_errors()
    cells = nb.cells()
    if len(cells) != len(saved.cells):
        result.errors.append(f"the page shows {len(cells)} cells, the notebook has {len(saved.cells)}")
    seen_error = set()
    for cell in cells:
        i = cell["index"]
        where = f"cell {i + 1} ({first_line(saved.cells[i])!r})" if i < len(saved.cells) else f"cell {i + 1}"
        for error in cell["errors"]:
            inside = ", inside a widget" if error["inWidget"] else ""
            result.errors.append(f"{where}{inside} shows a traceback:\n{summary(error['text'])}")
            seen_error.add(i)
        for message in cell["widgetErrors"]:
            lines = [line for line in message.splitlines() if line.strip() and "Browser Console" not in line]
            result.errors.append(f"{where} shows a widget that cannot be displayed: " + " / ".join(lines[:2]))
        expected = sum(WIDGET_VIEW in o.get("data", {}) for o in saved.cells[i].get("outputs", [])) \
            if i < len(saved.cells) and saved.cells[i].cell_type == "code" else 0
        result.widgets_displayed += expected
        rendered = cell["widgets"].count("rendered")
        for state, what in (("error", "failed to display"), ("loading", "is still loading")):
            if state in cell["widgets"]:
                result.widget_problems.append(f"{where}: a widget {what}")
        if rendered < expected and not {"error", "loading"} & set(cell["widgets"]):
            result.widget_problems.append(f"{where} displays {expected} widget(s) but {rendered} rendered")
    # The saved notebook names every error output; one the page check missed is still an error.
    for i, cell in enumerate(saved.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and i not in seen_error:
                result.errors.append(f"cell {i + 1} ({first_line(cell)!r}) raised "
                                     f"{out.get('ename')}: {out.get('evalue')}")
    if result.not_run:
        result.errors.append(f"code cells {never_ran(result)} never ran (Run All stops at the first error)")
    if result.widgets_displayed == 0:
        result.widget_problems.append("the lesson displays no widget" + (
            f" (code cells {never_ran(result)} never ran)" if result.not_run else ""))


def never_ran(result):
    return ", ".join(str(i + 1) for i in result.not_run)


def try_main_widget(result, nb, saved):
    """Find the main widget, move its first control, compare before and after, take a screenshot."""
    tagged = next((i for i, c in enumerate(saved.cells) if MAIN_WIDGET_TAG in c.metadata.get("tags", [])), None)
    cell = nb.mark_main_widget(tagged)
    if cell is None:
        raise StepError(f"no main widget found: tag the cell that displays it {MAIN_WIDGET_TAG!r}, or display "
                        "a panel with a control and an Output area (course.widgets.live_plot)"
                        + (f" (cell {tagged + 1} is tagged but shows no widget)" if tagged is not None else "")
                        + (f" (code cells {never_ran(result)} never ran)" if result.not_run else ""))
    result.main = {"cell": cell + 1, "how": "tagged" if tagged is not None else "first live_plot-shaped panel"}
    nb.main_widget.scroll_into_view_if_needed()
    before, logged = nb.snapshot(), len(nb.log_console_errors())
    result.main["control"] = nb.move_first_control()
    try:
        after = nb.wait_for_change(before, INTERACT_TIMEOUT)
    except Exception:  # noqa: BLE001 - reported below as "nothing changed"
        after = nb.snapshot()
    result.main["changed"] = after != before
    raised = nb.main_widget_errors() + nb.log_console_errors()[logged:]
    result.main["errors"] = list(dict.fromkeys(summary(text) for text in raised))
    shot = SCREENSHOTS / f"{result.lesson}.png"
    nb.main_widget.scroll_into_view_if_needed()
    nb.main_widget.screenshot(path=str(shot))
    result.main["screenshot"] = shot


def lab_trains_one_epoch(result, nb):
    """Lesson 14: the experiment lab's Train button trains its active networks (one epoch in quick mode),
    each logs its epoch, and the curves appear in the lab (a screenshot in build/screenshots/)."""
    app = nb.widget_app("course-lab")
    app.scroll_into_view_if_needed()
    ticked = app.locator(".widget-checkbox input[type=checkbox]:checked").count()
    networks = sum(1 for _ in app.locator(".widget-progress").all())
    nb.click_app_button(app, "Train")
    nb.wait_for_app_text(app, "course-lab-log", r"trained \d+ epochs? in", networks, LAB_TIMEOUT)
    nb.wait_for_kernel_idle(LAB_TIMEOUT, what="the lab's training to finish")
    images = nb.app_images(app, "course-lab-curves")
    app.screenshot(path=str(SCREENSHOTS / f"{result.lesson}-lab.png"))
    result.steps["lab trains one epoch"] = {"networks": networks, "ticked": ticked, "curve images": images}
    if images < 1:
        raise StepError("the lab trained, but its curves (.course-lab-curves) show no plot")


def pooling_widget_redraws(result, nb):
    """Lesson 13: the second widget, what a trained Conv1D's max pooling picked in one test text, redraws
    when its "test text" slider moves, without an error (a screenshot in build/screenshots/)."""
    cells = read_notebook(lesson_path(result.lesson)).cells
    index = next((i for i, c in enumerate(cells) if 'slider("test text"' in c.source), None)
    if index is None:
        raise StepError('no cell displays a slider("test text", ...): the pooling widget is gone')
    # The main widget's step is over: mark this panel instead, so that the page's helpers drive it.
    nb.page.evaluate(f"() => document.querySelectorAll('[{MAIN_WIDGET_ATTR}]')"
                     f".forEach(el => el.removeAttribute('{MAIN_WIDGET_ATTR}'))")
    if nb.mark_main_widget(index) != index:
        raise StepError(f"cell {index + 1} (the pooling widget) shows no widget")
    nb.main_widget.scroll_into_view_if_needed()
    before = nb.snapshot()
    control = nb.move_first_control()
    try:
        after = nb.wait_for_change(before, INTERACT_TIMEOUT)
    except Exception:  # noqa: BLE001 - reported below as "nothing changed"
        after = nb.snapshot()
    nb.main_widget.screenshot(path=str(SCREENSHOTS / f"{result.lesson}-pooling.png"))
    errors = list(dict.fromkeys(summary(text) for text in nb.main_widget_errors()))
    result.steps["pooling widget redraws"] = {"cell": index + 1, "control": control, "changed": after != before}
    if errors:
        raise StepError(f"the pooling widget (cell {index + 1}) shows a traceback after the {control}:\n"
                        + "\n\n".join(errors))
    if after == before:
        raise StepError(f"the pooling widget (cell {index + 1}) shows the same image and text after the {control} "
                        f"(waited {INTERACT_TIMEOUT} s)")


# A lesson's own browser steps, run after the main widget (and before the error check, so that a traceback
# they cause is reported too): lesson id -> {step name: step(result, notebook_page)}.
LESSON_STEPS = {"13_keras_rnn": {"pooling widget redraws": pooling_widget_redraws},
                "14_which_network": {"lab trains one epoch": lab_trains_one_epoch}}
LAB_TIMEOUT = 180        # the lab trains four small networks for one epoch


def drive_lesson(server, browser, lesson):
    """Drive one lesson through JupyterLab; returns what was seen."""
    result = LessonInBrowser(lesson)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{lesson}*.png"):
        old.unlink()
    if not result.attempt("prepare", lambda: prepare(server, lesson)):
        return result
    context = browser.new_context(viewport=VIEWPORT)
    route_loopback_only(context, "127.0.0.1")
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        path = f"completed/{lesson}/{lesson}.ipynb"
        nb = NotebookPage(page, server, path)
        saved = {}

        def run():
            result.not_run = nb.run_all(RUN_TIMEOUT)
            nb.wait_for_widgets(WIDGET_TIMEOUT)
            nb.save(60)
            saved["nb"] = nbformat.read(server.root / path, as_version=4)

        def errors():
            check_cells(result, nb, saved["nb"])
            for text in dict.fromkeys(summary(text) for text in nb.log_console_errors()):
                result.errors.append(f"the log console shows a traceback (a widget callback raised?):\n{text}")

        def open_notebook():
            nb.open(OPEN_TIMEOUT)
            nb.open_log_console(30)

        if result.attempt("open", open_notebook, page) and result.attempt("run", run, page):
            result.attempt("main widget", lambda: try_main_widget(result, nb, saved["nb"]), page)
            for name, step in LESSON_STEPS.get(lesson, {}).items():
                result.attempt(name, lambda step=step: step(result, nb), page)
            result.attempt("errors", errors, page)
        def validate_completed():
            result.validation["completed"] = nb.validate(VALIDATE_TIMEOUT)

        if "open" not in result.failed:
            result.attempt("validate completed", validate_completed, page)
        page.close()
        server.shut_down_kernels()

        page = context.new_page()
        page.set_default_timeout(60_000)
        blank = NotebookPage(page, server, f"untouched/{lesson}/{lesson}.ipynb")

        def validate_untouched():
            blank.open_for_validation(OPEN_TIMEOUT)
            result.validation["untouched"] = blank.validate(VALIDATE_TIMEOUT)

        result.attempt("validate untouched", validate_untouched, page)
    finally:
        context.close()
        server.shut_down_kernels()
    print(f"{lesson} in the browser, seconds per step: {result.seconds}")
    return result


@pytest.fixture(scope="module", params=LESSON_IDS)
def seen(request, chromium, jupyterlab):
    """One lesson driven through JupyterLab in Chromium (once; every test below reads the result)."""
    return drive_lesson(jupyterlab, chromium, request.param)


# ---------------------------------------------------------------------------------------------

def test_there_are_lessons_to_open():
    """Is there at least one lesson for the browser suite to open (so it cannot pass vacuously)?"""
    assert LESSON_IDS, "no solutions/<id>/<id>.ipynb found"


def check(condition, message):
    """Fail with ``message`` alone: the page's findings, not a diff of Python objects."""
    if not condition:
        pytest.fail(message, pytrace=False)


def test_lesson_runs_in_jupyterlab_without_an_error(seen):
    """Does Run All Cells run every cell, with no traceback in any cell, widget output or the log console?"""
    seen.require("open", "run", "errors")
    check(seen.errors == [], f"{seen.lesson} in JupyterLab:\n" + "\n\n".join(seen.errors))


def test_every_widget_renders(seen):
    """Does every widget the lesson displays render in JupyterLab (no 'Error displaying widget', none stuck loading)?"""
    seen.require("open", "run", "errors")
    check(seen.widget_problems == [], f"{seen.lesson}: " + "; ".join(seen.widget_problems))


def test_main_widget_redraws_when_its_control_moves(seen):
    """Does the lesson's main widget show something different after its first control moves, without an error?"""
    seen.require("open", "run", "main widget")
    main = seen.main
    where = f"{seen.lesson}: the main widget (cell {main['cell']}, {main['how']})"
    check(main["errors"] == [], f"{where} shows a traceback after the {main['control']}:\n"
          + "\n\n".join(main["errors"]))
    check(main["changed"], f"{where} shows the same image and text after the {main['control']} "
          f"(waited {INTERACT_TIMEOUT} s)")
    check(main["screenshot"].is_file(), f"{where}: no screenshot at {main['screenshot']}")


def test_lesson_specific_steps_pass(seen):
    """Do the lesson's own browser steps pass (LESSON_STEPS: lesson 13's pooling widget, lesson 14's lab)?

    A lesson without such steps has nothing more to check here.
    """
    names = list(LESSON_STEPS.get(seen.lesson, {}))
    seen.require("open", "run", *names)
    check(all(name in seen.steps for name in names), f"{seen.lesson}: steps {names} did not report: {seen.steps}")


def test_validate_passes_the_completed_lesson(seen):
    """Does nbgrader's Validate button, clicked in JupyterLab, report success on the solved student notebook?"""
    seen.require("open", "validate completed")
    result = seen.validation["completed"]
    check(result["outcome"] == "success", f"{seen.lesson}: Validate on the completed notebook says "
          f"{result['title']!r} ({result['outcome']}):\n{result['text'][:3000]}")


def test_validate_fails_the_untouched_lesson(seen):
    """Does nbgrader's Validate button report failing cells on the untouched student notebook?"""
    seen.require("validate untouched")
    result = seen.validation["untouched"]
    check(result["outcome"] == "failed" and "The following cell failed" in result["text"],
          f"{seen.lesson}: Validate on the untouched notebook says {result['title']!r} "
          f"({result['outcome']}):\n{result['text'][:3000]}")
