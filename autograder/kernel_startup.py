# Run by IPython when a sandboxed grading kernel starts (mounted into its profile's startup folder).
# It keeps what a notebook prints within the grader's output limit, so that printing hundreds of MB
# costs neither the kernel's memory (IPython keeps a copy of every printed line in its history, and
# unsent messages queue up) nor the grader's time. It is a courtesy, not a defence: output sent
# another way is cut by the grader as it arrives (and a flood stopped), and memory is capped by the sandbox.
def _course_grade_limit_output():
    import _thread
    import os
    import sys

    from IPython import get_ipython

    budget = {"left": int(os.environ.get("COURSE_GRADE_OUTPUT_BYTES", "8388608"))}
    note = ("\n[output truncated by the grader: the notebook printed more than "
            f"{budget['left'] / 2**20:g} MB]\n")
    # A cell that goes on printing past the cut is flooding (a loop writing to sys.stdout, or straight to
    # file descriptor 1 or 2, which ipykernel forwards through the same write()): it is interrupted once.
    # If it keeps on, the cut is lifted so that the grader sees the flood and stops the kernel itself.
    flood = int(os.environ.get("COURSE_GRADE_FLOOD_BYTES", str(1 << 20)))
    cell = {"dropped": 0, "interrupted": False}

    def limit(stream):
        inner = stream.write

        def write(text, *args, **kwargs):
            left = budget["left"]
            if left <= 0:
                cell["dropped"] += len(text)
                if cell["dropped"] > 4 * flood and cell["interrupted"]:
                    return inner(text, *args, **kwargs)
                if cell["dropped"] > flood and not cell["interrupted"]:
                    cell["interrupted"] = True
                    _thread.interrupt_main()
                return len(text)
            budget["left"] = left - len(text)
            if len(text) > left:
                inner(text[:left])
                inner(note)
                return len(text)
            return inner(text, *args, **kwargs)

        stream.write = write

    def quiet_echo(stream):
        # ipykernel also copies fd output to the kernel's original stdout (the grader's log file), where
        # a flood would fill the disk up to the file-size limit and then stop the forwarding for good
        copy = getattr(stream, "_original_stdstream_copy", None)
        if isinstance(copy, int):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, copy)
            os.close(devnull)

    def before_each_cell(*_):
        cell.update(dropped=0, interrupted=False)
        # IPython wraps write() around each cell to record the output in its history: wrap outside it
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name, None)
            if stream is not None:
                limit(stream)

    for name in ("stdout", "stderr"):
        if getattr(sys, name, None) is not None:
            quiet_echo(getattr(sys, name))
    shell = get_ipython()
    if shell is not None:
        shell.events.register("pre_run_cell", before_each_cell)


_course_grade_limit_output()
del _course_grade_limit_output
