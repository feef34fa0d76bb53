# Run by IPython when a sandboxed grading kernel starts (mounted into its profile's startup folder, after
# the output limiter and the answers' guard). It lets the grader's checker (checker.py) call the
# notebook's functions: for each test cell the grader runs `__course_grade_serve__()` in this kernel,
# which connects to the checker's socket and answers its requests (call this function, read that
# attribute) over the wire (wire.py, mounted at ~/.course-grade/wire.py) until the test is over.
# The test cell itself, and every comparison in it, runs in the checker. Nothing here is trusted: a
# notebook that replaces or breaks this function only fails its own tests.
def _course_grade_serve_install():
    import importlib.util
    import os
    import socket

    from IPython import get_ipython

    shell = get_ipython()
    home = os.environ.get("HOME", "")
    wire_path = os.path.join(home, ".course-grade", "wire.py")
    address = os.environ.get("COURSE_GRADE_CHECK_SOCKET", "")
    if shell is None or not address or not os.path.isfile(wire_path):
        return
    spec = importlib.util.spec_from_file_location("_course_grade_wire", wire_path)
    wire = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wire)

    def serve():
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(address)
        try:
            wire.Peer(conn, namespace=shell.user_ns).serve()
        finally:
            conn.close()

    shell.user_ns["__course_grade_serve__"] = serve
    shell.user_ns_hidden["__course_grade_serve__"] = serve


_course_grade_serve_install()
del _course_grade_serve_install
