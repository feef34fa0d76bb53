"""The instructor's side of the course: release the lessons and grade submissions with nbgrader.

- ``autograder.lessons``     where the lessons live and how to find them
- ``autograder.release``     regenerate lessons/ from solutions/ with nbgrader
- ``autograder.cli``         the ``course-grade`` command: release, collect, autograde, feedback, export,
                             report, sandbox
- ``autograder.coursedir``   the grading course folder and each lesson's grading template
- ``autograder.collect``     file submissions from per-student folders or an LMS zip
- ``autograder.rebuild``     rebuild a submission from the release, keeping only the student's work
- ``autograder.sandbox``     the limits and isolation each student kernel runs under
- ``autograder.execute``     run one notebook in a sandboxed kernel and say what happened
- ``autograder.worker``      one grading job, in a worker process
- ``autograder.batch``       grade a lesson in parallel; one process writes the gradebook
- ``autograder.outputs``     invalid Unicode, output limits, pasted images, all-or-nothing test cells
- ``autograder.nbgrader_plugins``  the preprocessors that plug the sandbox into nbgrader
- ``autograder.status``      statuses and the per-submission result record
- ``autograder.report``, ``autograder.feedback``, ``autograder.export``  what comes out
- ``autograder.grading``     the self-test's entry point (``autograde(lesson, submissions, root)``)
"""
