"""The checker: the process that runs a lesson's test cells while it is graded, apart from student code.

A test cell's points are decided by its comparisons (``check_array``, ``np.allclose``, ...). Run in the
student's kernel, those can be patched by the student's own cells: NumPy or the checks rebound, an
IPython hook or transformer, a thread, an ``ndarray`` subclass that lies. So the grader runs each test
cell here instead (``execute.py``):

- the checker is a fresh Python process outside the sandbox that never runs a line of the student's;
- the test cell's names come from the lesson's own imports (executed here, from the template: ``np``,
  ``check_array``, ``course``...) or, for every other name, from the kernel over the wire
  (``wire.py``): the student's functions and objects as proxies whose calls run in the kernel, data as
  plain arrays, generators as their state. Python's own names are always Python's own;
- what the student's function returns arrives as data (a base ``ndarray``, never a subclass, never a
  pickle), and the comparison runs here;
- the cell's outputs (what it printed, its error and traceback, hidden lines blanked) go back to the
  grader, which puts them in the notebook: nbgrader scores them as usual. What the kernel printed while
  the cell ran is kept with them, but any error it reports itself can only cost the student points.

Run as ``python -m autograder.checker SOCKET``: it listens on the Unix socket ``SOCKET`` (the kernel
connects there for each test cell, see ``kernel_serve.py``) and reads commands, one JSON object per
line, from stdin: ``setup`` (the lesson's imports), ``cell`` (run one test cell), ``abort`` (the kernel
never connected), ``quit``. It answers one JSON line per command on stdout. :class:`Checker` is the
grader's side of that pipe.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import linecache
import os
import re
import select
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*", re.M | re.S)
CONNECT_TIMEOUT = 60.0     # seconds the checker waits for the kernel to connect for one test cell
SAFE_EXTRA = {"keras", "tensorflow"}   # modules a lesson reaches through a call (course.frameworks.load_keras)
HERE = str(Path(__file__).resolve().parent)


def blank_hidden(text):
    """Every line of a hidden-test block as an empty line: tracebacks quote nothing from it."""
    return HIDDEN_BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def lesson_imports(sources):
    """``{name: import statement}`` for every name the lesson's own cells bind by a top-level import."""
    found = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not (isinstance(node, ast.ImportFrom)
                                                                        and node.level):
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    bound = alias.asname or alias.name.split(".")[0]
                    one = ast.Import(names=[alias]) if isinstance(node, ast.Import) else \
                        ast.ImportFrom(module=node.module, names=[alias], level=0)
                    found[bound] = ast.unparse(one)
    return found


class _Namespace(dict):
    """The test cell's globals: a name it does not define comes from the lesson's imports, Python's
    builtins, or else the kernel (fetched when first used, again in each cell)."""

    def __init__(self, imports):
        super().__init__(__builtins__=builtins, __name__="__main__")
        self.imports = imports
        self.peer = None
        self.fetched = set()

    def new_cell(self, peer):
        for name in self.fetched:
            self.pop(name, None)
        self.fetched = set()
        self.peer = peer

    def __missing__(self, name):
        if name in self.imports:
            exec(self.imports[name], self)   # noqa: S102 - the lesson's own import line, from the template
            return dict.__getitem__(self, name)
        if hasattr(builtins, name) or self.peer is None:
            raise KeyError(name)
        found = self.peer.request("names", names=[name])
        if name not in found:
            raise KeyError(name)
        self[name] = found[name]
        self.fetched.add(name)
        return found[name]

    def prefetch(self, names):
        """Fetch ``names`` now (a class body looks its names up without asking the namespace)."""
        for name in names:
            if name not in self:
                try:
                    self[name]
                except KeyError:
                    pass


def class_body_names(tree):
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
                    names.add(inner.id)
    return names


def _traceback_lines(exc, remote):
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(HERE)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames),
             *traceback.format_exception_only(type(exc), exc)]
    if remote:
        lines += ["\nRaised in the notebook's kernel, by the code the test called:\n", remote]
    return "".join(lines).rstrip("\n").split("\n")


class _Lines:
    """Line reader on a raw file descriptor (so that select() sees what is not yet read)."""

    def __init__(self, fd):
        self.fd, self.buf = fd, b""

    def ready(self, timeout):
        return b"\n" in self.buf or bool(select.select([self.fd], [], [], timeout)[0])

    def readline(self):
        while b"\n" not in self.buf:
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


def run_cell(listener, commands, ns, source, name, safe):
    """Run one test cell against the kernel that connects to ``listener``; return its outputs."""
    from autograder import wire

    deadline = time.monotonic() + CONNECT_TIMEOUT
    conn = None
    while conn is None:
        left = deadline - time.monotonic()
        if left <= 0:
            return _failed("the notebook's kernel did not connect to the grader to run this test")
        ready = select.select([listener], [], [], min(left, 0.2))[0]
        if ready:
            conn, _ = listener.accept()
        elif commands.ready(0):
            commands.readline()   # "abort": the kernel's cell ended without connecting
            return _failed("the notebook's kernel did not run this test (the grader's hook in the "
                           "kernel was replaced or removed)")
    filename = f"<test cell {name}>"
    shown = blank_hidden(source)
    linecache.cache[filename] = (len(shown), None, shown.splitlines(True), filename)
    out = io.StringIO()
    error = None
    try:
        with conn:
            peer = wire.Peer(conn, safe_modules=safe)
            ns.new_cell(peer)
            try:
                tree = ast.parse(source)
                code = compile(tree, filename, "exec")
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                    ns.prefetch(class_body_names(tree))
                    exec(code, ns, ns)   # noqa: S102 - the lesson's test cell, from the template
            except wire.WireError as exc:
                error = _error("KernelNotAnswering", f"the notebook's kernel stopped answering the test ({exc})")
            except BaseException as exc:  # noqa: BLE001 - any error fails the test, as in the notebook
                error = {"output_type": "error", "ename": type(exc).__name__, "evalue": str(exc)[:100_000],
                         "traceback": _traceback_lines(exc, getattr(exc, "remote_traceback", ""))}
            _sync_generators(ns, peer)
            try:
                peer.done()
            except OSError:
                pass
    finally:
        ns.peer = None
    outputs = []
    if out.getvalue():
        outputs.append({"output_type": "stream", "name": "stdout", "text": out.getvalue()[:2_000_000]})
    if error is not None:
        outputs.append(error)
    return {"outputs": outputs}


def _sync_generators(ns, peer):
    """Give the kernel back the state of the generators the cell drew from (its ``rng`` moved on in the
    notebook too), so that later cells see the same numbers as in the student's own run."""
    import numpy as np

    moved = {name: ns[name] for name in ns.fetched if isinstance(dict.get(ns, name), np.random.Generator)}
    if moved:
        try:
            _assign(peer, moved)
        except Exception:  # noqa: BLE001 - a kernel that stopped answering: nothing to give back
            pass


def _assign(peer, values):
    from autograder import wire

    tree, blobs = peer.encode(values)
    wire.send(peer.sock, {"op": "assign", "v": tree}, blobs)
    peer._wait()


def _error(ename, evalue):
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


def _failed(why):
    return {"outputs": [_error("TestNotRun", why)]}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = argv[0]
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)   # whatever writes to fd 1 from here on cannot mix with the answers
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o666)   # the kernel runs as the sandbox slot's user
    listener.listen(1)
    answers.write(json.dumps({"ready": os.getpid()}) + "\n")
    commands = _Lines(0)
    ns, safe = _Namespace({}), set(SAFE_EXTRA)
    while True:
        cmd = commands.readline()
        if cmd is None or cmd.get("cmd") == "quit":
            break
        if cmd.get("cmd") == "setup":
            ns = _Namespace(dict(cmd.get("imports", {})))
            safe = {line.split()[1].split(".")[0] for line in ns.imports.values()} | SAFE_EXTRA
            answers.write(json.dumps({"ok": True}) + "\n")
        elif cmd.get("cmd") == "cell":
            result = run_cell(listener, commands, ns, cmd["source"], cmd.get("name", "?"), safe)
            answers.write(json.dumps(result) + "\n")
        elif cmd.get("cmd") == "abort":
            continue   # an abort that arrived after its cell was over
    listener.close()
    with contextlib.suppress(OSError):
        os.unlink(path)


class Checker:
    """The grader's handle on one checker process (one per graded notebook)."""

    def __init__(self, socket_path, imports, cwd, log=None):
        self.path = str(socket_path)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "NBGRADER_EXECUTION": "autograde",
               "MPLBACKEND": "agg"}
        # -I: neither the working folder nor PYTHON* variables reach sys.path (nothing a kernel wrote is imported)
        self.proc = subprocess.Popen([sys.executable, "-I", "-m", "autograder.checker", self.path],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log or subprocess.DEVNULL, cwd=str(cwd), env=env, start_new_session=True)
        self.answers = _Lines(self.proc.stdout.fileno())
        self.pending = False
        self._send({"cmd": "setup", "imports": imports})

    def _send(self, cmd):
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()

    def ready(self, timeout=60.0):
        """Wait until the checker listens and has its setup; False if it did not start."""
        for _ in range(2):
            if not self.answers.ready(timeout) or self.answers.readline() is None:
                return False
        return True

    def start(self, source, name):
        self._send({"cmd": "cell", "source": source, "name": name})
        self.pending = True

    def finish(self, wait=5.0):
        """The outputs of the cell started last. ``wait``: seconds to give the checker after the kernel's
        side ended (it then aborts a cell the kernel never connected to)."""
        self.pending = False
        for attempt in range(2):
            if self.answers.ready(wait):
                answer = self.answers.readline()
                if answer is not None:
                    return answer["outputs"]
                break
            if attempt == 0:
                self._send({"cmd": "abort"})
        self.close()
        return [_error("CheckerError", "the grader's checker did not finish this test")]

    def close(self):
        if self.proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                self._send({"cmd": "quit"})
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


if __name__ == "__main__":
    main()
