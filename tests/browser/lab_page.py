"""Driving a notebook in JupyterLab 4 the way a student does: menus, sliders, the Validate button.

The checks read what is on the page (the DOM JupyterLab renders); the server's REST API is asked
only whether the kernel is still busy.
"""

from __future__ import annotations

import re
import time

# -- What counts as an error on the page ---------------------------------------------------------
# JupyterLab renders a traceback (an "error" output) and text written to stderr (warnings) the same
# way: .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]. A traceback is told apart
# by its text: IPython's "Traceback (most recent call last)" header, or a line that starts with an
# exception name (SyntaxError and friends have no header). A warning line starts with a file path.
TRACEBACK = r"Traceback \(most recent call last\)|^\s*[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b(:|\s*$)"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
WIDGET_ERROR = "Error displaying widget"
WIDGET_LOADING = "Loading widget..."
ERROR_VIEW = ".jupyter-widgets-error-widget"  # ipywidgets 8 shows this when a widget's view fails
CELLS = ".jp-NotebookPanel .jp-Notebook .jp-Cell"
# A cell's own outputs (not the outputs nested inside a widget's Output area).
TOP_OUTPUTS = ":scope .jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output"
CONTROLS = "[role=slider], select, input, button, textarea"
# The parts of a widget that show results (as opposed to the controls and their readouts).
DISPLAYS = ".widget-output, .widget-html, .widget-htmlmath, .widget-image, .widget-label"
MAIN_WIDGET_ATTR = "data-browser-test-main-widget"
MAIN_WIDGET_TAG = "main-widget"

_JS_SNAPSHOT = f"""
(panel) => [...panel.querySelectorAll('{DISPLAYS}')]
    .filter(el => !el.closest('.widget-slider, .widget-dropdown, .widget-checkbox, .widget-text'))
    .map(el => [...el.querySelectorAll('img')].map(img => img.src).join('|')
               + (el.tagName === 'IMG' ? el.src : '') + '\\n' + el.innerText)
    .join('\\n----\\n')
"""

_JS_CELLS = f"""
(traceback) => {{
  const isTraceback = (text) => new RegExp(traceback, 'm').test(text);
  return [...document.querySelectorAll('{CELLS}')].map((cell, index) => {{
    const prompt = cell.querySelector('.jp-InputPrompt');
    const errors = [...cell.querySelectorAll('{STDERR}')]
      .filter(out => isTraceback(out.innerText))
      .map(out => ({{inWidget: !!out.closest('.widget-output'), text: out.innerText}}));
    const widgets = [...cell.querySelectorAll('{TOP_OUTPUTS}')]
      .filter(out => out.querySelector('.jupyter-widgets') || out.classList.contains('jupyter-widgets')
                     || out.textContent.includes('{WIDGET_LOADING}'))
      .map(out => (out.textContent.includes('{WIDGET_ERROR}') || out.querySelector('{ERROR_VIEW}')) ? 'error'
                  : (out.querySelector('.jupyter-widgets') ? 'rendered' : 'loading'));
    // "Error displaying widget: ..." (no model), or ipywidgets' error view (the view failed to load).
    const widgetErrors = [...cell.querySelectorAll('.jp-OutputArea-output')]
      .filter(out => out.textContent.trim().startsWith('{WIDGET_ERROR}'))
      .map(out => out.textContent.trim())
      .concat([...cell.querySelectorAll('{ERROR_VIEW}')].map(view => view.innerText.trim()));
    return {{
      index,
      code: cell.classList.contains('jp-CodeCell'),
      prompt: prompt ? prompt.textContent.trim() : '',
      errors,
      widgets,
      widgetErrors,
    }};
  }});
}}
"""

_JS_FIND_MAIN = f"""
([cellIndex, controls]) => {{
  const cells = [...document.querySelectorAll('{CELLS}')];
  const candidates = cellIndex === null ? cells : [cells[cellIndex]].filter(Boolean);
  for (const cell of candidates) {{
    for (const out of cell.querySelectorAll('{TOP_OUTPUTS}')) {{
      if (!out.querySelector('.jupyter-widgets')) continue;
      const shaped = out.querySelector(controls) && out.querySelector('.widget-output');
      if (cellIndex !== null || shaped) {{
        out.setAttribute('{MAIN_WIDGET_ATTR}', '');
        return cells.indexOf(cell);
      }}
    }}
  }}
  return null;
}}
"""

_JS_LOG_ERRORS = """
(traceback) => [...document.querySelectorAll('.jp-LogConsolePanel .jp-OutputArea-child')]
  .filter(child => {
    const level = child.querySelector('[data-log-level]');
    return level && ['error', 'critical'].includes(level.getAttribute('data-log-level'))
           && new RegExp(traceback, 'm').test(child.innerText);
  })
  .map(child => (child.querySelector('.jp-OutputArea-output') || child).innerText)
"""


class StepError(AssertionError):
    """A step of driving the page did not happen as a student would see it."""


def summary(text, lines=6):
    """The first line and the last few lines of a traceback: enough to name the error."""
    rows = [r for r in text.strip().splitlines() if r.strip() and not set(r.strip()) <= {"-"}]
    if len(rows) <= lines:
        return "\n".join(rows)
    return "\n".join(rows[:1] + ["..."] + rows[-(lines - 1):])


class NotebookPage:
    """One notebook open in JupyterLab in one browser page."""

    def __init__(self, page, server, path):
        self.page, self.server, self.path = page, server, path

    # -- opening, running, saving ----------------------------------------------------------------

    def open(self, timeout):
        """Open the notebook in a fresh workspace and wait until its kernel is idle."""
        self.page.goto(self.server.url(f"lab/tree/{self.path}?reset&token={self.server.token}"),
                       timeout=timeout * 1000)
        self.page.wait_for_selector(f"{CELLS}", timeout=timeout * 1000)
        self.wait_for_kernel_idle(timeout, what="the kernel to start")

    def open_for_validation(self, timeout):
        """Open the notebook and wait for nbgrader's Validate button (no need to wait for a kernel)."""
        self.page.goto(self.server.url(f"lab/tree/{self.path}?reset&token={self.server.token}"),
                       timeout=timeout * 1000)
        self.page.wait_for_selector(f"{CELLS}", timeout=timeout * 1000)
        self.validate_button(timeout)

    def menu(self, menu, item):
        self.page.click(f".lm-MenuBar-itemLabel:text-is('{menu}')")
        self.page.click(f".lm-Menu-itemLabel:text-is('{item}')")

    def cells(self):
        return self.page.evaluate(_JS_CELLS, TRACEBACK)

    def wait_for_kernel_idle(self, timeout, what="the kernel to be idle", settle=1.0):
        """Wait until the kernel has been idle for ``settle`` seconds in a row."""
        deadline = time.monotonic() + timeout
        idle_since = None
        while time.monotonic() < deadline:
            if self.server.kernel_state(self.path) == "idle":
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= settle:
                    return
            else:
                idle_since = None
            time.sleep(0.25)
        raise StepError(f"timed out after {timeout} s waiting for {what} ({self.path})")

    def run_all(self, timeout):
        """Run > Run All Cells, then wait until no cell is queued or running and the kernel is idle.

        Returns the indexes of code cells that never ran (JupyterLab stops at the first error).
        """
        self.menu("Run", "Run All Cells")
        started = time.monotonic()
        deadline = started + timeout
        while not any(c["prompt"] not in ("", "[ ]:") for c in self.cells() if c["code"]):
            if time.monotonic() - started > 30:
                raise StepError("Run > Run All Cells did not start any cell within 30 s")
            time.sleep(0.25)
        while True:
            cells = self.cells()
            busy = [c["index"] for c in cells if c["code"] and c["prompt"] == "[*]:"]
            if not busy and self.server.kernel_state(self.path) == "idle":
                time.sleep(1.0)  # the last outputs and widget views arrive just after the reply
                cells = self.cells()
                if not any(c["code"] and c["prompt"] == "[*]:" for c in cells) \
                        and self.server.kernel_state(self.path) == "idle":
                    return [c["index"] for c in cells if c["code"] and c["prompt"] in ("", "[ ]:")]
            if time.monotonic() > deadline:
                raise StepError(f"the notebook did not finish running within {timeout} s; "
                                f"cells still queued or running: {[i + 1 for i in busy[:5]]}")
            time.sleep(0.5)

    def expand_widget_errors(self):
        """Click every ipywidgets error view so that it shows its message (as a student would)."""
        self.page.evaluate(f"() => document.querySelectorAll('{CELLS} {ERROR_VIEW}')"
                           ".forEach(view => {{ if (view.innerText.includes('Click to show')) view.click(); }})")

    def wait_for_widgets(self, timeout):
        """Wait until no widget view is still loading (problems are reported by the caller)."""
        try:
            self.page.wait_for_function(
                f"() => ![...document.querySelectorAll('{CELLS}')]"
                f".some(cell => cell.textContent.includes('{WIDGET_LOADING}'))",
                timeout=timeout * 1000)
        except Exception:  # noqa: BLE001 - a widget stuck loading is reported by widget_problems
            pass

    def save(self, timeout):
        """File > Save Notebook, and wait until the tab no longer shows unsaved changes."""
        saved = self.server.root / self.path
        before = saved.stat().st_mtime_ns
        self.menu("File", "Save Notebook")
        deadline = time.monotonic() + timeout
        while saved.stat().st_mtime_ns == before or self.page.locator(".lm-TabBar-tab.jp-mod-dirty").count():
            if time.monotonic() > deadline:
                raise StepError(f"File > Save Notebook did not save {self.path} within {timeout} s")
            time.sleep(0.25)

    # -- the main widget ----------------------------------------------------------------------------

    def mark_main_widget(self, tagged_cell):
        """Mark the lesson's main widget on the page; returns the index of its cell or None.

        The main widget is the first widget displayed by a cell tagged "main-widget" if there is one;
        otherwise the first displayed panel that holds both a control and an Output area (the shape of
        ``course.widgets.live_plot``).
        """
        return self.page.evaluate(_JS_FIND_MAIN, [tagged_cell, CONTROLS])

    @property
    def main_widget(self):
        return self.page.locator(f"[{MAIN_WIDGET_ATTR}]")

    def snapshot(self):
        """What the main widget shows: its images' data and its text, controls left out."""
        return self.main_widget.evaluate(_JS_SNAPSHOT)

    def move_first_control(self):
        """Move the main widget's first control that a student can move; returns what was done.

        Sliders come first (the first one that moves: a greyed-out slider ignores the keys), driven
        with the arrow keys on the focused handle; then dropdowns, checkboxes and buttons.
        """
        panel = self.main_widget
        for handle in panel.locator("[role=slider]").all():
            value = self._slider_value(handle)
            handle.scroll_into_view_if_needed()
            handle.focus()
            for key in ("ArrowRight", "ArrowLeft"):  # left when it sits at its maximum
                for _ in range(3):
                    handle.press(key)
                time.sleep(0.3)
                moved = self._slider_value(handle)
                if moved != value:
                    return f"slider {self._label(handle)!r} moved with the arrow keys from {value} to {moved}"
        for select in panel.locator("select:not([disabled])").all():
            options = select.locator("option").all_inner_texts()
            if len(options) < 2:
                continue
            current = select.evaluate("el => el.selectedIndex")
            choice = (current + 1) % len(options)
            select.select_option(index=choice)
            return f"dropdown {self._label(select)!r} changed from {options[current]!r} to {options[choice]!r}"
        for selector, kind in (("input[type=checkbox]:not([disabled])", "checkbox"),
                               ("button:not([disabled])", "button")):
            control = panel.locator(selector)
            if control.count():
                control.first.click()
                return f"{kind} {self._label(control.first)!r} clicked"
        raise StepError("the main widget has no slider, dropdown, checkbox or button that can be moved")

    @staticmethod
    def _slider_value(handle):
        """The value the slider shows (its readout; aria-valuenow is rounded to one decimal)."""
        return handle.evaluate(
            "el => { const w = el.closest('.widget-slider'); const r = w && w.querySelector('.widget-readout');"
            " return (r && r.textContent.trim()) || el.getAttribute('aria-valuetext')"
            "        || el.getAttribute('aria-valuenow'); }")

    @staticmethod
    def _label(control):
        return control.evaluate(
            "el => { const w = el.closest('.jupyter-widgets.widget-inline-hbox, .jupyter-widgets');"
            " const l = w && w.querySelector('.widget-label');"
            " return (l && l.textContent.trim()) || el.textContent.trim() || el.getAttribute('aria-label') || ''; }")

    def wait_for_change(self, before, timeout):
        """Wait until the main widget shows something else than ``before``, then until it is steady."""
        # A traceback in the panel is an answer too: no need to wait for a redraw that will not come.
        self.page.wait_for_function(
            f"([panel, before, traceback]) => ({_JS_SNAPSHOT})(panel) !== before || "
            f"[...panel.querySelectorAll('{STDERR}')].some(out => new RegExp(traceback, 'm').test(out.innerText))",
            arg=[self.main_widget.element_handle(), before, TRACEBACK], timeout=timeout * 1000)
        self.wait_for_kernel_idle(timeout, what="the widget's callbacks to finish")
        after = self.snapshot()
        for _ in range(int(timeout)):
            time.sleep(0.5)
            now = self.snapshot()
            if now == after:
                break
            after = now
        return after

    def main_widget_errors(self):
        return self.main_widget.evaluate(
            f"(panel, traceback) => [...panel.querySelectorAll('{STDERR}')]"
            ".map(out => out.innerText).filter(text => new RegExp(traceback, 'm').test(text))",
            TRACEBACK)

    # -- a widget application in a cell (lesson 14's lab): its buttons and what it shows ----------------

    def widget_app(self, css_class):
        """The first widget displayed on the page that carries ``css_class`` (``widget.add_class(...)``)."""
        app = self.page.locator(f"{CELLS} .{css_class}").first
        try:
            app.wait_for(timeout=10_000)
        except Exception:  # noqa: BLE001 - turned into a message that says what is missing
            raise StepError(f"no widget with the CSS class {css_class!r} is displayed") from None
        return app

    def click_app_button(self, app, label):
        """Click the button labelled exactly ``label`` inside ``app``, as a student would.

        Matched on the button's text: its accessible name also holds the glyph of its icon, if any.
        """
        button = app.locator("button").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
        if not button.count():
            raise StepError(f"the widget has no button labelled {label!r}")
        button.first.scroll_into_view_if_needed()
        button.first.click()

    def wait_for_app_text(self, app, css_class, pattern, count, timeout):
        """Wait until the element ``.css_class`` inside ``app`` shows ``count`` lines matching ``pattern``."""
        try:
            self.page.wait_for_function(
                "([root, selector, pattern, count]) => { const el = root.querySelector(selector);"
                " return !!el && (el.innerText.match(new RegExp(pattern, 'gm')) || []).length >= count; }",
                arg=[app.element_handle(), f".{css_class}", pattern, count], timeout=timeout * 1000)
        except Exception:  # noqa: BLE001 - the caller's message says what it waited for
            shown = app.locator(f".{css_class}").first.inner_text() if app.locator(f".{css_class}").count() else ""
            raise StepError(f"after {timeout} s, .{css_class} shows fewer than {count} lines matching {pattern!r}; "
                            f"it shows:\n{shown[:1500]}") from None

    def app_images(self, app, css_class):
        """How many images the element ``.css_class`` inside ``app`` shows (a plot in an Output widget)."""
        return app.locator(f".{css_class} img").count()

    # -- the log console ---------------------------------------------------------------------------

    def open_log_console(self, timeout):
        """View > Show Log Console: where a traceback sent outside any cell (a callback that raised) shows."""
        self.menu("View", "Show Log Console")
        self.page.wait_for_selector(".jp-LogConsolePanel", timeout=timeout * 1000)

    def log_console_errors(self):
        """The tracebacks listed in the open log console, oldest first."""
        return self.page.evaluate(_JS_LOG_ERRORS, TRACEBACK)

    # -- nbgrader's Validate button ------------------------------------------------------------------

    def validate_button(self, timeout):
        button = self.page.locator(".jp-NotebookPanel-toolbar .validate-button")
        try:
            button.first.wait_for(timeout=timeout * 1000)
        except Exception:  # noqa: BLE001 - turned into a message that says what to fix
            raise StepError("the notebook toolbar has no Validate button: nbgrader's JupyterLab extension "
                            "is not enabled (`jupyter labextension list` should show @jupyter/nbgrader "
                            "enabled; `make setup` enables it)") from None
        return button.first

    def validate(self, timeout):
        """Click Validate and read nbgrader's "Validation Results" dialog.

        Returns dict(title, outcome, text): outcome is "success", "failed", "changed",
        "type-changed" or "error" (no results, e.g. the validate command itself failed).
        """
        button = self.validate_button(timeout)
        clickable = button.locator("jp-button, button")
        (clickable.first if clickable.count() else button).click()
        dialog = self.page.locator(".jp-Dialog")
        dialog.first.wait_for(timeout=timeout * 1000)
        title = dialog.locator(".jp-Dialog-header").first.inner_text().strip()
        message = dialog.locator("#validation-message")
        outcome, text = "error", dialog.first.inner_text()
        if message.count():
            classes = (message.first.get_attribute("class") or "").split()
            outcome = next((c.removeprefix("validation-") for c in classes if c.startswith("validation-")),
                           "error")
            text = message.first.inner_text()
        accept = dialog.locator(".jp-Dialog-button.jp-mod-accept")
        if accept.count():
            accept.first.click()
        return {"title": title, "outcome": outcome, "text": text.strip()}


def route_loopback_only(context, loopback):
    """Refuse every request of the page that goes anywhere but the test server's address."""
    not_loopback = re.compile(rf"^(?!(https?|wss?)://{re.escape(loopback)}[:/])[a-z][a-z0-9+.-]*://")
    context.route(not_loopback, lambda route: route.abort())
