"""Execute one notebook in a sandboxed kernel, within its limits, and record what happened.

This is nbgrader's own ``Execute`` preprocessor (same error handling, same timeout messages), with
four changes: the kernel is started through the sandbox (``sandbox.py``) and reached over Unix
sockets, a notebook-wide deadline kills the kernel, output beyond a budget is dropped as it
arrives, and when the kernel dies the test cells that could not run are marked as failed (nbgrader
would otherwise count a test cell without output as passed).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import sys
from queue import Empty
from time import monotonic

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_core.utils import ensure_async
from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import Execute
from traitlets import Any

from autograder import status as st
from autograder.checker import Checker
from autograder.kernelclient import SlicedKernelManager
from autograder.outputs import FLOOD_BYTES, TRUNCATED, limit_outputs
from autograder.sandbox import CHECK_SOCKET

GRACE = 5.0   # seconds an interrupted kernel gets to become responsive again before it is killed


class SandboxKernelManager(SlicedKernelManager):
    """A Python kernel started inside a :class:`~autograder.sandbox.Sandbox`, over ipc sockets (its client's
    waits are sliced: see ``kernelclient.py``)."""

    sandbox = Any(None)

    @property
    def kernel_spec(self):
        if self._kernel_spec is None:
            # interrupts go over the control channel: a signal cannot be aimed into the sandbox
            self._kernel_spec = KernelSpec(
                argv=["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (sandboxed)", language="python", interrupt_mode="message")
        return self._kernel_spec

    def format_kernel_cmd(self, extra_arguments=None):
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file,
                *(extra_arguments or [])]
        return self.sandbox.wrap(argv)

    def write_connection_file(self, **kwargs):
        result = super().write_connection_file(**kwargs)
        slot = self.sandbox.slot
        if slot.support.switch_user:
            os.chown(self.connection_file, slot.uid, slot.gid)   # the kernel's uid must read it
        return result


SERVE_CALL = "__course_grade_serve__()"


def _is_test(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _describe_cell(nb, index):
    """'cell 7 ('grade_id')' for a lesson cell, 'cell 7 (`first line`)' for the student's own."""
    cell = nb.cells[index]
    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    if gid:
        return f"cell {index + 1} ('{gid}')"
    lines = [ln.strip() for ln in cell.get("source", "").splitlines()]
    first = next((ln for ln in lines if ln and not ln.startswith("#")), "")
    if not first:
        return f"cell {index + 1}"
    return f"cell {index + 1} (`{first[:40]}{'...' if len(first) > 40 else ''}`)"


def _error(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class SandboxedExecute(Execute):
    """Run every cell of a notebook in a sandboxed kernel; see :meth:`run`."""

    def __init__(self, sandbox, limits, restore_code="", lesson_cells=(), checks=None, **kwargs):
        lesson_cells = frozenset(lesson_cells)
        super().__init__(
            timeout=max(1, round(limits.cell_timeout)), interrupt_on_timeout=True, allow_errors=True,
            # the lesson's own cells, as released (imports, data loads): not charged to the student's limit
            timeout_func=lambda cell: max(1, round(self.cell_limit(cell))),
            raise_on_iopub_timeout=False, iopub_timeout=GRACE, startup_timeout=60,
            store_widget_state=True, record_timing=False, shutdown_kernel="immediate",
            kernel_name="python3", **kwargs)
        limit = f"{limits.cell_timeout:g} s per cell, {limits.setup_timeout:g} s for the lesson's own cells"
        self.error_on_timeout = {
            "ename": "CellTimeoutError",
            "evalue": f"this cell ran longer than its time limit ({limit}) and was interrupted",
            "traceback": [f"CellTimeoutError: this cell ran longer than its time limit ({limit}) and was "
                          "interrupted"]}
        self.lesson_cells = lesson_cells
        self.checks = checks       # {"imports": ..., "cwd": ...}: test cells run in a checker (checker.py)
        self.checker = None
        self.sched = (0, 0)        # the kernel's (running, waiting for a CPU) ns when the current cell began
        self.sched_start = (0, 0)  # ... when the kernel had started
        self.sandbox = sandbox
        self.limits = limits
        self.restore_code = restore_code
        # the kernel cuts its own printed output at output_mb (kernel_startup.py); this is the backstop
        self.output_budget = limits.output_budget
        self.output_used = 0
        self.truncated = False
        self.dropped = {}          # cell index -> bytes of its output dropped past the budget
        self.flood = None          # (cell index, when it was interrupted) once a cell's output passed the budget
        self.flood_killed = False
        self.deadline_hit = False
        self.deadline_busy = ""
        self.exit_code = None

    # -- kernel -------------------------------------------------------------------------------

    def create_kernel_manager(self):
        sockets = self.sandbox.slot.sockets
        self.km = SandboxKernelManager(sandbox=self.sandbox, kernel_name="python3", transport="ipc",
                                       ip=str(sockets / "k"), connection_file=str(sockets / "kernel.json"))
        return self.km

    def cell_limit(self, cell):
        """Seconds ``cell`` may run: the setup limit for a lesson cell the student left as released."""
        if cell.get("source") in self.lesson_cells:
            return self.limits.setup_timeout
        return self.limits.cell_timeout

    def sched_times(self):
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return self.sandbox.slot.sched_times(getattr(proc, "pid", None))

    def busy(self, since):
        """'' when the kernel got the CPU it asked for since ``since``; otherwise how it was held back.

        The kernel waiting for a CPU twice as long as it ran (it had less than a third of one) means the
        machine was busy with other work, not that the student's code was slow: such a timeout is
        reported apart (and regraded once). Sharing a CPU with one or two other busy programs, as on a
        grading machine running two workers, stays the student's time.
        """
        run, wait = (now - then for now, then in zip(self.sched_times(), since))
        if wait > 2 * run and wait > 1e9:
            return f"the machine was busy: the kernel waited {wait / 1e9:.0f} s for a CPU and ran {run / 1e9:.0f} s"
        return ""

    def kill_kernel(self):
        """Kill the kernel and everything it started, now."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is not None and proc.poll() is None:
            try:
                if not self.sandbox.support.bwrap:
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.kill()
            except OSError:
                pass
        self.sandbox.slot.kill_all()

    def exit_status(self):
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is None:
            return None
        try:
            proc.wait(timeout=2)
        except Exception:  # noqa: BLE001 - still running: no status to report
            return None
        return proc.returncode

    # -- output budget ------------------------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        size = _content_size(msg.get("content", {}))
        if self.output_used + size > self.output_budget:
            if not any(TRUNCATED in (o.get("text") or "") for o in outs):
                outs.append(nbformat.v4.new_output("stream", name="stdout", text=truncation_note(self.limits)))
            self.truncated = True
            # only printing floods: one huge error or display is a single message, already cut, and the cell
            # is over by the time it arrives (an interrupt would hit the next cell)
            if msg.get("header", {}).get("msg_type") == "stream":
                self.dropped[cell_index] = self.dropped.get(cell_index, 0) + size
                if self.dropped[cell_index] > FLOOD_BYTES:
                    self._stop_flood(cell_index)
            return None
        self.output_used += size
        return super().output(outs, msg, display_id, cell_index)

    def _stop_flood(self, cell_index):
        """A cell printing far past the budget is interrupted, and killed if it keeps printing.

        Whatever the kernel prints reaches the grader as messages, file-descriptor writes included
        (ipykernel forwards fds 1 and 2): counting them here, outside the student's process, is the
        limit that holds; the kernel's own cut (kernel_startup.py) only saves work. Without this a
        flood ran until the cell's time limit and was reported as "timed out".
        """
        if self.flood is None or self.flood[0] != cell_index:
            self.flood = (cell_index, monotonic())
            asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
        elif not self.flood_killed and monotonic() - self.flood[1] > GRACE:
            self.flood_killed = True   # it ignored the interrupt (or caught KeyboardInterrupt)
            self.kill_kernel()

    # -- running ------------------------------------------------------------------------------

    async def _reply(self, msg_id, timeout):
        """Wait for the shell reply to ``msg_id``: "ok", "timeout", or "dead" if the kernel died."""
        deadline = monotonic() + timeout
        while (left := deadline - monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=min(left, 1.0)))
            except Empty:
                if not await ensure_async(self.km.is_alive()):
                    return "dead"
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return "ok"
        return "timeout"

    async def _check_cell(self, cell, index):
        """Run test cell ``index`` in the checker; the kernel answers its calls while it runs.

        The kernel executes only the serving call (within the cell's time limit, as the test would); the
        cell's outputs are what the kernel printed meanwhile, then the checker's own (its print-out and
        the test's error, if any). nbgrader scores those as it scores any test cell.
        """
        self.checker.start(cell.source, cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index + 1}"))
        serving = nbformat.v4.new_code_cell(SERVE_CALL)
        try:
            await self.async_execute_cell(serving, index, execution_count=self.code_cells_executed + 1)
        finally:
            self.nb.cells[index] = cell
            outputs = self.checker.finish(GRACE)
            kept = [o for o in serving.get("outputs", []) if o.get("output_type") != "execute_result"]
            cell.outputs = kept + [nbformat.from_dict(o) for o in outputs]
            cell.execution_count = serving.get("execution_count")

    async def _restore(self):
        """Silently re-run the lesson's setup imports, so the next test uses the lesson's own checks.

        Returns "ok", "timeout" (no answer within the cell time limit) or "dead".
        """
        msg_id = self.kc.execute(self.restore_code, silent=True, store_history=False, allow_stdin=False)
        return await self._reply(msg_id, self.limits.cell_timeout)

    def _deadline(self):
        self.deadline_hit = True
        self.deadline_busy = self.busy(self.sched_start)   # measured while the kernel still runs
        self.kill_kernel()

    async def async_run(self, nb, log_file=None):
        """Execute ``nb`` in place; return the list of [status, reason] events."""
        self.nb = nb
        self.reset_execution_trackers()
        events, stopped, why = [], None, None
        loop = asyncio.get_running_loop()
        watchdog = loop.call_later(self.limits.notebook_timeout, self._deadline)
        kwargs = {"cwd": self.sandbox.cwd}
        if log_file is not None:
            kwargs.update(stdout=log_file, stderr=log_file)
        try:
            try:
                self.km = self.create_kernel_manager()
                await self.async_start_new_kernel(**kwargs)
                await self.async_start_new_kernel_client()
                self.sched_start = self.sched_times()
                if self.checks is not None:
                    self.checker = Checker(self.sandbox.slot.sockets / CHECK_SOCKET, self.checks["imports"],
                                           self.checks["cwd"], log=log_file)
                    if not self.checker.ready():
                        raise RuntimeError("the grader's checker did not start")
            except Exception as exc:  # noqa: BLE001 - any start failure is the grader's problem
                watchdog.cancel()
                if self.deadline_hit:
                    return [[st.TIMED_OUT, "the kernel did not start before the notebook time limit"]]
                return [[st.GRADER_ERROR, f"the sandboxed kernel did not start: {exc}"]]
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                self.sched = self.sched_times()
                if self.checker is not None and _is_test(cell):
                    try:
                        await self._check_cell(cell, index)
                    except DeadKernelError:
                        stopped, why = index, "died"
                        self.exit_code = self.exit_status()
                        break
                    cell = nb.cells[index]
                elif self.restore_code and cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                    restored = await self._restore()
                    if restored == "dead":
                        stopped, why = index, "died"
                        self.exit_code = self.exit_status()
                        break
                    if restored == "timeout":
                        busy = self.busy(self.sched)
                        self.kill_kernel()
                        stopped, why = index, "unresponsive"
                        events.append([st.BUSY if busy else st.TIMED_OUT, "the kernel did not answer before "
                                       f"{_describe_cell(nb, index)} and was stopped{'; ' + busy if busy else ''}"])
                        break
                    self.sched = self.sched_times()
                if self.checker is None or not _is_test(cell):
                    try:
                        await self.async_execute_cell(cell, index, execution_count=self.code_cells_executed + 1)
                    except DeadKernelError:
                        stopped, why = index, "died"
                        self.exit_code = self.exit_status()
                        break
                if (self.flood is not None and self.flood[0] == index) or _flooded(cell):
                    events.append([st.OUTPUT, f"{_describe_cell(nb, index)} printed more than "
                                              f"{self.limits.output_mb:g} MB and was interrupted"])
                if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])):
                    busy = self.busy(self.sched)
                    events.append([st.BUSY if busy else st.TIMED_OUT,
                                   f"{_describe_cell(nb, index)} ran longer than {self.cell_limit(cell):g} s "
                                   f"and was interrupted{'; ' + busy if busy else ''}"])
                    answer = await self._reply(self.kc.kernel_info(), GRACE)
                    if answer == "dead":
                        stopped, why = index, "died"
                        self.exit_code = self.exit_status()
                        break
                    if answer == "timeout":
                        self.kill_kernel()
                        stopped, why = index + 1, "unresponsive"
                        events.append([st.TIMED_OUT, "the kernel did not respond after the interrupt and "
                                                     "was stopped"])
                        break
        finally:
            watchdog.cancel()
            if self.checker is not None:
                self.checker.close()
            await self._async_shutdown()
        if stopped is not None:
            events += self._stopped(nb, stopped, why)
        events += self._cell_events(nb)
        # the error replies nbgrader adds, and anything else that bypassed output(), count too
        if limit_outputs(nb, self.output_budget, truncation_note(self.limits)):
            self.truncated = True
        if self.truncated or _says_truncated(nb):
            events.append([st.OUTPUT, f"the notebook printed more than {self.limits.output_mb:g} MB; "
                                      "the rest was dropped"])
        return events

    async def _async_shutdown(self):
        try:
            if self.kc is not None:
                await ensure_async(self.kc.stop_channels())
        except Exception:  # noqa: BLE001
            pass
        try:
            if self.km is not None and self.km.has_kernel:
                await ensure_async(self.km.shutdown_kernel(now=True))
        except Exception:  # noqa: BLE001 - it may be dead already
            pass
        self.kill_kernel()
        try:
            if self.km is not None:
                await ensure_async(self.km.cleanup_resources())
        except Exception:  # noqa: BLE001
            pass
        self.kc = None

    def _stopped(self, nb, index, why):
        """Explain why the kernel stopped at cell ``index``, and fail the test cells after it."""
        usage = self.sandbox.slot.counters()
        code = self.exit_code
        where = _describe_cell(nb, min(index, len(nb.cells) - 1))
        if self.deadline_hit:
            busy = self.deadline_busy
            event = [st.BUSY if busy else st.TIMED_OUT, f"the notebook ran longer than "
                     f"{self.limits.notebook_timeout:g} s and was stopped in {where}{'; ' + busy if busy else ''}"]
        elif self.flood_killed:
            event = [st.OUTPUT, f"{where} printed more than {self.limits.output_mb:g} MB, went on printing "
                                "after it was interrupted, and was stopped"]
        elif code is not None and code in (128 + signal.SIGXFSZ, -signal.SIGXFSZ):
            event = [st.OUTPUT, f"the kernel wrote more than {self.limits.file_mb} MB to one file or to its "
                                f"own output and was stopped in {where}"]
        elif usage["oom_kills"]:
            event = [st.MEMORY, f"the kernel used more than {self.limits.memory_mb} MB and was killed "
                                f"in {where}"]
        elif code is not None and code in (128 + signal.SIGXCPU, -signal.SIGXCPU):
            event = [st.TIMED_OUT, f"the kernel used more than {self.limits.cpu_limit} s of CPU time and "
                                   f"was killed in {where}"]
        elif why == "unresponsive":
            event = None
        else:
            event = [st.CRASHED, f"the kernel died in {where}{_exit_text(code)}"]
        reason = (event[1] if event else "the kernel was stopped")
        if why == "died" and index < len(nb.cells):
            nb.cells[index].setdefault("outputs", []).append(_error("KernelDied", reason))
        not_run = 0
        for cell in nb.cells[index + (1 if why == "died" else 0):]:
            if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                cell["outputs"] = [_error("NotRun", f"not run: {reason}")]
                not_run += 1
        events = [event] if event else []
        if not_run:
            events.append([events[0][0] if events else st.TIMED_OUT,
                           f"{not_run} test cell{'s' if not_run > 1 else ''} after it could not run"])
        return events

    def _cell_events(self, nb):
        events = []
        for index, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") != "error":
                    continue
                if out.get("ename") == "MemoryError":
                    events.append([st.MEMORY, f"{_describe_cell(nb, index)} raised MemoryError"])
                elif out.get("ename") == "SystemExit":
                    events.append([st.GRADED, f"{_describe_cell(nb, index)} called sys.exit(): "
                                              "the kernel kept running"])
        usage = self.sandbox.slot.counters()
        if usage["forks_refused"]:
            events.append([st.PROCESSES, f"{usage['forks_refused']} attempts to start a process or "
                                         f"thread were refused (limit {self.limits.max_processes})"])
        return events

    def run(self, nb, log_file=None):
        """Execute ``nb`` to completion; usable whether or not this thread runs an event loop."""
        coro = self.async_run(nb, log_file=log_file)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coro)
        # Called from async code (a Jupyter kernel, a test session driving a browser): a thread of
        # its own gives the execution a fresh event loop instead of failing.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coro).result()




def truncation_note(limits):
    return f"\n{TRUNCATED}: the notebook printed more than {limits.output_mb:g} MB]\n"


def _flooded(cell):
    """Did the kernel's own cut interrupt this cell for printing on past the budget?"""
    outs = cell.get("outputs", [])
    return (any(o.get("output_type") == "stream" and TRUNCATED in (o.get("text") or "") for o in outs)
            and any(o.get("ename") == "KeyboardInterrupt" for o in outs))


def _says_truncated(nb):
    return any(TRUNCATED in (out.get("text") or "") for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []) if out.get("output_type") == "stream")


def _exit_text(code):
    if code is None:
        return ""
    if code < 0:
        return f" (killed by signal {_signame(-code)})"
    if code > 128:
        return f" (killed by signal {_signame(code - 128)})"
    return f" (exit code {code})"


def _signame(num):
    try:
        return signal.Signals(num).name
    except ValueError:
        return str(num)


def _content_size(content):
    """Approximate size in bytes of an output message's payload."""
    size = len(content.get("text", "") or "")
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(str(value))
    size += sum(len(line) for line in content.get("traceback", []) or [])
    return size
