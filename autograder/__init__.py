"""The instructor's side of the course: release the lessons and grade submissions with nbgrader.

- ``autograder.lessons``  where the lessons live and how to find them
- ``autograder.release``  regenerate lessons/ from solutions/ with nbgrader
- ``autograder.cli``      the ``course-grade`` command
"""
