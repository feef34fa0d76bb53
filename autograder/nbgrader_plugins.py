"""Small nbgrader preprocessors that plug the sandbox into nbgrader's own pipelines.

- :class:`UseSandboxOutputs` takes the place of ``Execute`` in ``nbgrader autograde``: the notebook
  was already executed in a sandbox by a worker process, so its outputs are copied in, and nbgrader
  then scores and saves them as it would its own, with two rules of the grader's: the outputs are
  kept within the output limit (so the autograded notebook and its feedback stay small), and a test
  cell scores all its points or none (no partial credit from an output: see ``outputs.grader_credit``).
- :class:`AddGradingStatus` puts the grader's status and reasons at the top of the feedback.
- :class:`HideHiddenTests` keeps hidden tests out of the feedback: out of the code, and out of every
  output that quotes them (``nbgrader generate_feedback`` uses it too: see nbgrader_config.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Int, Unicode

from autograder.outputs import TRUNCATED, grader_credit, limit_outputs, repair_unicode
from autograder.status import GRADED, Result


class UseSandboxOutputs(NbGraderPreprocessor):
    """Copy each code cell's outputs from the notebook the sandbox executed."""

    executed_directory = Unicode("", help="folder of executed notebooks: <student>/<lesson>/<nb>.ipynb"
                                 ).tag(config=True)
    output_budget = Int(4 << 20, help="characters of output kept per notebook").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        path = (Path(self.executed_directory) / info["student"] / info["assignment"]
                / f"{info['notebook']}.ipynb")
        if not path.is_file():
            raise RuntimeError(f"no executed notebook at {path}: grade with `course-grade autograde`")
        done = nbformat.read(path, as_version=4)
        if len(done.cells) != len(nb.cells):
            raise RuntimeError(f"{path} has {len(done.cells)} cells, the submission {len(nb.cells)}")
        for mine, theirs in zip(nb.cells, done.cells):
            if mine.cell_type != theirs.cell_type or mine.source != theirs.source:
                raise RuntimeError(f"{path} does not match the submission being graded; grade again")
            if mine.cell_type == "code":
                mine.outputs = theirs.get("outputs", [])
                mine.execution_count = theirs.get("execution_count")
        if "language_info" in done.metadata:
            nb.metadata["language_info"] = done.metadata["language_info"]
        repair_unicode(nb)
        limit_outputs(nb, self.output_budget, f"\n{TRUNCATED}: more output than the limit]\n")
        grader_credit(nb)
        return nb, resources


class AddGradingStatus(NbGraderPreprocessor):
    """Insert a note with the grading status and its reasons at the top of the feedback notebook."""

    results_directory = Unicode("", help="folder of results: <lesson>/<student>.json").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        result = Result.load(Path(self.results_directory) / info["assignment"] / f"{info['student']}.json")
        if result is not None and (result.status != GRADED or result.reason):
            lines = [f"**Grading status: {result.status}.**"]
            lines += [f"- {reason}" for _, reason in result.events if reason]
            nb.cells.insert(0, nbformat.v4.new_markdown_cell("\n".join(lines)))
        return nb, resources


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n(.*?)^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
                          re.M | re.S)
HIDDEN_NOTE = "[a line of a hidden test: not shown]"


def hidden_fragments(nb, min_chars=8):
    """The lines of every hidden test in ``nb`` (stripped), but those a student sees anyway (a line that
    is also in the visible code, such as ``with quiet():``) and short ones such as ``)``."""
    found, visible = set(), set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for block in HIDDEN_BLOCK.findall(cell.source):
            found.update(ln.strip() for ln in block.splitlines() if len(ln.strip()) >= min_chars)
        visible.update(ln.strip() for ln in HIDDEN_BLOCK.sub("", cell.source).splitlines())
    return found - visible


def _scrub(text, fragments):
    """``text`` with every line that quotes a hidden test replaced by a note."""
    lines = text.split("\n")
    out = [HIDDEN_NOTE if any(f in ANSI.sub("", ln) for f in fragments) else ln for ln in lines]
    return "\n".join(out)


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without hidden tests: cleared from the test cells' code (as nbgrader's ClearHiddenTests),
    and every output line that quotes one (a traceback's context, an error message, a print of the input
    history) replaced by a note. A failing hidden test still shows as failed, with its error type."""

    def preprocess(self, nb, resources):
        fragments = hidden_fragments(nb)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.source = HIDDEN_BLOCK.sub("", cell.source)
            if not fragments:
                continue
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    out["text"] = _scrub(out.get("text", ""), fragments)
                elif out.get("output_type") == "error":
                    out["traceback"] = [_scrub(t, fragments) for t in out.get("traceback", [])]
                    out["evalue"] = _scrub(str(out.get("evalue", "")), fragments)
                else:
                    data = out.get("data", {})
                    for kind, value in list(data.items()):
                        if kind.startswith("text/") and isinstance(value, str):
                            data[kind] = _scrub(value, fragments)
        return nb, resources
