"""nbgrader configuration of the course: solutions/ is the source, lessons/ the release.

The project root is the nbgrader course root. The grading command (``course-grade``) passes this file
to every nbgrader call, so it works from any folder.
"""
from pathlib import Path

c = get_config()  # noqa: F821 - injected by traitlets when nbgrader loads this file

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
