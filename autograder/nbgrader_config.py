"""nbgrader configuration of the course: solutions/ is the source, lessons/ the release.

The project root is the nbgrader course root. The grading command (``course-grade``) passes this file
to every nbgrader call, so it works from any folder.
"""
import os
import sys
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from autograder.nbgrader_plugins import HideHiddenTests

c = get_config()  # noqa: F821 - injected by traitlets when nbgrader loads this file

# nbgrader runs the `alembic` command when it creates or upgrades a gradebook: find this environment's
# (a formgrader or an `nbgrader` started without activating the venv has it only there)
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([_bin, os.environ.get("PATH", "")])

c.CourseDirectory.root = str(Path(__file__).resolve().parent.parent)
c.CourseDirectory.course_id = "dl-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading runs every cell; none should come close to this (graded cells take well under a second).
c.ExecutePreprocessor.timeout = 120
c.Execute.interrupt_on_timeout = True
# nbgrader's own execution (validate, and autograde outside `course-grade`) waits for replies in short
# slices too, so that a missed ZeroMQ wake-up cannot turn a finished cell into a timeout (kernelclient.py).
c.Execute.kernel_manager_class = "autograder.kernelclient.SlicedKernelManager"

# Feedback never shows a hidden test, also from stock `nbgrader generate_feedback` (course-grade feedback
# adds the grading status on top of these).
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]
