# Run by IPython when a sandboxed grading kernel starts (mounted into its profile's startup folder).
# It keeps what a notebook prints within the grader's output limit, so that printing hundreds of MB
# costs neither the kernel's memory (IPython keeps a copy of every printed line in its history, and
# unsent messages queue up) nor the grader's time. It is a courtesy, not a defence: output sent
# another way is cut by the grader as it arrives, and memory is capped by the sandbox anyway.
def _course_grade_limit_output():
    import os
    import sys

    from IPython import get_ipython

    budget = {"left": int(os.environ.get("COURSE_GRADE_OUTPUT_BYTES", "8388608"))}
    note = ("\n[output truncated by the grader: the notebook printed more than "
            f"{budget['left'] / 2**20:g} MB]\n")

    def limit(stream):
        inner = stream.write

        def write(text, *args, **kwargs):
            left = budget["left"]
            if left <= 0:
                return len(text)
            budget["left"] = left - len(text)
            if len(text) > left:
                inner(text[:left])
                inner(note)
                return len(text)
            return inner(text, *args, **kwargs)

        stream.write = write

    def before_each_cell(*_):
        # IPython wraps write() around each cell to record the output in its history: wrap outside it
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name, None)
            if stream is not None:
                limit(stream)

    shell = get_ipython()
    if shell is not None:
        shell.events.register("pre_run_cell", before_each_cell)


_course_grade_limit_output()
del _course_grade_limit_output
