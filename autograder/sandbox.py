"""The sandbox a student's kernel runs in: limits, a private filesystem view, no network.

What is enforced, and how (each piece only where the machine allows it; ``course-grade sandbox``
prints what this machine enforces):

- **filesystem**: bubblewrap (``bwrap``) gives the kernel its own mount namespace holding only the
  system folders (read-only), the Python environment and the ``course`` package (read-only), a private
  home on a size-limited tmpfs with a copy of the submission and the lesson's files, and the folder of
  its own kernel sockets. solutions/, the gradebook, other submissions and the rest of the disk do not
  exist inside. Everything the kernel writes lives in tmpfs (counted against its memory limit) and
  disappears with it; only its outputs, sent over the kernel sockets, leave the sandbox.
- **network**: a private network namespace (``--unshare-net``) with only a loopback device of its own.
- **processes**: private PID namespace (the kernel sees only its own processes, and all of them die
  with it); the ``pids`` cgroup caps the number of tasks; as root, the kernel also runs as an
  unprivileged uid of its own per worker slot, with ``RLIMIT_NPROC``, no capabilities and
  ``no_new_privs``.
- **memory**: the ``memory`` cgroup (kernel + children + tmpfs); without cgroups, ``RLIMIT_AS``.
- **CPU**: ``RLIMIT_CPU`` per process, and the ``cpu`` cgroup caps each sandbox at one core so a
  busy submission cannot slow the other workers.
- **time**: wall-clock limits per cell and per notebook, enforced by the grader (see execute.py).

The tests themselves run outside the sandbox, in the checker (checker.py), which only receives data
from the kernel. Not enforced: disk I/O bandwidth; the size of a Keras model the checker rebuilds; and
anything that needs a kernel or hypervisor boundary (a Linux kernel exploit escapes any namespace
sandbox).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.outputs import FLOOD_BYTES

UID_BASE = int(os.environ.get("COURSE_GRADE_UID_BASE", "64200"))  # slot n runs as uid UID_BASE + n
MAX_SLOTS = 32
CGROUP_NAME = "course-grade"
HOME = "/home/student"  # the kernel's home inside the sandbox (a tmpfs), unless a host folder it needs is there
OTHER_HOMES = ["/home/course-grade-kernel", "/opt/course-grade-kernel"]
HOME_DIRS = [".config", ".config/matplotlib", ".course-grade", ".ipython", ".ipython/profile_default",
             ".ipython/profile_default/startup"]
STARTUP_FILE = ".ipython/profile_default/startup/00-course-grade-limit-output.py"
WITHHOLD_FILE = ".ipython/profile_default/startup/01-course-grade-withhold.py"
WITHHOLD_SPEC = ".course-grade/withhold.json"   # what kernel_withhold.py withholds (written per job)
SERVE_FILE = ".ipython/profile_default/startup/02-course-grade-serve.py"
WIRE_FILE = ".course-grade/wire.py"              # the kernel's end of the wire to the checker (checker.py)
CHECK_SOCKET = "check.sock"                      # in the slot's socket folder: where the checker listens


class SandboxError(RuntimeError):
    """The sandbox could not be set up; the message says what is missing and how to fix it."""


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times in seconds, sizes in MB."""

    cell_timeout: float = 120
    notebook_timeout: float = 600
    setup_factor: float = 4       # the lesson's own cells (imports, data, demos) get this many cell limits
    memory_mb: int = 2048
    cpu_seconds: int = 0          # 0: the notebook timeout
    max_processes: int = 256      # tasks (processes and threads) in the sandbox
    output_mb: float = 2          # printed output kept per notebook; the rest is dropped
    file_mb: int = 256            # largest file the kernel may write (RLIMIT_FSIZE)
    scratch_mb: int = 512         # size of its private /tmp and home (also counted as memory)

    @property
    def output_budget(self):
        """Characters of output a notebook keeps in all (printing is cut at output_mb; twice that is the
        backstop for everything else: rich outputs, errors, what the kernel sent another way)."""
        return int(2 * self.output_mb * 2 ** 20)

    @property
    def setup_timeout(self):
        """The time limit of a lesson cell the student did not change: an import or a data load that is
        slow because the machine is busy is not the student's doing (the notebook limit still holds)."""
        return max(self.cell_timeout, min(self.setup_factor * self.cell_timeout, self.notebook_timeout))

    @property
    def cpu_limit(self):
        return int(self.cpu_seconds or max(1, round(self.notebook_timeout)))

    def as_dict(self):
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# What this machine allows
# ---------------------------------------------------------------------------------------------

@dataclass
class Support:
    """Which isolation mechanisms work on this machine (probed once per process)."""

    bwrap: str | None = None
    root: bool = False
    cgroup: str | None = None          # "v1", "v2" or None
    problems: list = field(default_factory=list)   # why something is unavailable
    switch_user: bool = False          # the kernel runs as an unprivileged uid of its own

    @property
    def isolated(self):
        return self.bwrap is not None

    def enforced(self, limits=Limits()):
        """(protection, how) pairs for what is enforced here."""
        out = []
        if self.bwrap:
            out += [("filesystem", "bubblewrap mount namespace: read-only system and Python, private "
                                   "tmpfs home with only this submission and the lesson files"),
                    ("network", "private network namespace (loopback only)"),
                    ("processes", "private PID namespace; everything is killed with the kernel")]
        if self.cgroup:
            out += [("memory", f"{self.cgroup} memory cgroup, {limits.memory_mb} MB"),
                    ("process count", f"{self.cgroup} pids cgroup, {limits.max_processes} tasks"),
                    ("CPU share", f"{self.cgroup} cpu cgroup, one core per submission")]
        else:
            out.append(("memory", f"RLIMIT_AS (address space), {limits.memory_mb} MB"))
        if self.switch_user:
            out.append(("user", "an unprivileged uid per worker slot, no capabilities, no_new_privs, "
                                f"RLIMIT_NPROC {limits.max_processes}"))
        out += [("CPU time", f"RLIMIT_CPU, {limits.cpu_limit} s per process"),
                ("file size", f"RLIMIT_FSIZE, {limits.file_mb} MB"),
                ("wall clock", f"{limits.cell_timeout:g} s per cell, {limits.notebook_timeout:g} s per "
                               "notebook (interrupt, then kill)"),
                ("output", f"{limits.output_mb:g} MB per notebook kept, the rest dropped")]
        return out

    def missing(self):
        """(protection, why) pairs for what this machine cannot enforce."""
        out = []
        if not self.bwrap:
            out += [("filesystem", "not isolated: the kernel can read what the grader can"),
                    ("network", "not isolated: the kernel can use the network")]
        if not self.switch_user:
            out.append(("user", "the kernel runs as the grader's own user"))
        if not self.cgroup:
            nproc = "" if self.switch_user else "; RLIMIT_NPROC would count all of the user's processes"
            out.append(("process count", "not capped by a cgroup" + nproc))
        out.append(("disk I/O", "bandwidth is not limited"))
        out.append(("model size", "a Keras model is rebuilt in the checker as the student built it, "
                                  "without a limit of its own on its size"))
        return [(what, why + (f" ({'; '.join(self.problems)})" if self.problems and what in
                              ("filesystem", "network", "process count") else ""))
                for what, why in out]


_SUPPORT = None


def support():
    """Probe (once) which isolation mechanisms this machine allows."""
    global _SUPPORT
    if _SUPPORT is None:
        _SUPPORT = _probe()
    return _SUPPORT


def _probe():
    s = Support(root=os.geteuid() == 0)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        s.problems.append("bubblewrap is not installed: apt-get install bubblewrap")
    else:
        try:
            proc = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid",
                                   "--die-with-parent", "--", "true"],
                                  capture_output=True, text=True, timeout=30)
            if proc.returncode == 0:
                s.bwrap = bwrap
            else:
                s.problems.append(f"bwrap cannot create namespaces here: {proc.stderr.strip()}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            s.problems.append(f"bwrap failed: {exc}")
    if s.root:
        s.cgroup = _cgroup_version(s.problems)
        # without a mount namespace, another uid must be able to reach the Python it runs
        s.switch_user = bool(s.bwrap) or all(_others_can_enter(p) for p in python_paths())
        if not s.switch_user:
            s.problems.append("the Python environment is not readable by other users")
    else:
        s.problems.append("not root: no cgroups and no separate uid for the kernel")
    return s


def _others_can_enter(path):
    """True if every folder on the way to ``path`` lets other users through."""
    path = Path(path).resolve()
    return all(os.stat(p).st_mode & 0o001 for p in [*reversed(path.parents), path])


def _cgroup_version(problems):
    base = Path("/sys/fs/cgroup")
    if all((base / c / "cgroup.procs").exists() for c in ("memory", "pids", "cpu")):
        try:
            for c in ("memory", "pids", "cpu"):
                (base / c / CGROUP_NAME).mkdir(exist_ok=True)
            return "v1"
        except OSError as exc:
            problems.append(f"cgroup v1 not writable: {exc}")
            return None
    controllers = base / "cgroup.controllers"
    if controllers.exists():
        have = set(controllers.read_text().split())
        if not {"memory", "pids", "cpu"} <= have:
            problems.append(f"cgroup v2 lacks controllers (has {' '.join(sorted(have))})")
            return None
        try:
            _write(base / "cgroup.subtree_control", "+memory +pids +cpu")
            (base / CGROUP_NAME).mkdir(exist_ok=True)
            _write(base / CGROUP_NAME / "cgroup.subtree_control", "+memory +pids +cpu")
            return "v2"
        except OSError as exc:
            problems.append(f"cgroup v2 not writable: {exc}")
            return None
    problems.append("no cgroup memory/pids/cpu controllers found")
    return None


def _write(path, value):
    Path(path).write_text(str(value))


def _read_counter(path, key):
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def sched_times(pids):
    """(ns running on a CPU, ns runnable but waiting for one), summed over every thread of ``pids``.

    From /proc/<pid>/task/<tid>/schedstat (the scheduler's own accounting): waiting is the time a
    thread was ready to run while the machine's CPUs were busy with something else, which tells a slow
    machine from slow code. Threads that have ended are no longer counted.
    """
    run = wait = 0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                fields = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
                run, wait = run + int(fields[0]), wait + int(fields[1])
            except (OSError, ValueError, IndexError):
                continue
    return run, wait


def _descendants(pid):
    """Every process started, directly or not, by ``pid``."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat_line = Path(f"/proc/{entry}/stat").read_text()
                children.setdefault(int(stat_line.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


# ---------------------------------------------------------------------------------------------
# cgroups: one per slot
# ---------------------------------------------------------------------------------------------

class _Cgroups:
    """The memory, pids and cpu cgroups of one slot (v1: three hierarchies; v2: one folder)."""

    def __init__(self, version, slot):
        self.version = version
        base = Path("/sys/fs/cgroup")
        name = f"slot-{slot}"
        if version == "v1":
            self.dirs = {c: base / c / CGROUP_NAME / name for c in ("memory", "pids", "cpu")}
        else:
            d = base / CGROUP_NAME / name
            self.dirs = {"memory": d, "pids": d, "cpu": d}
        for d in set(self.dirs.values()):
            d.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def exists(version, slot):
        base = Path("/sys/fs/cgroup")
        d = base / "pids" / CGROUP_NAME if version == "v1" else base / CGROUP_NAME
        return (d / f"slot-{slot}").is_dir()

    def procs_files(self):
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    def configure(self, limits):
        mem = limits.memory_mb << 20
        if self.version == "v1":
            m = self.dirs["memory"]
            # memory+swap must stay >= memory: writing both twice works whether the limit grows or shrinks
            for f in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes") * 2:
                try:
                    _write(m / f, mem)
                except OSError:
                    pass
            for f in ("memory.max_usage_in_bytes", "memory.failcnt"):
                try:
                    _write(m / f, 0)
                except OSError:
                    pass
            _write(self.dirs["pids"] / "pids.max", limits.max_processes)
            cpu = self.dirs["cpu"]
            _write(cpu / "cpu.cfs_quota_us", _read_int(cpu / "cpu.cfs_period_us", 100000))
        else:
            d = self.dirs["memory"]
            _write(d / "memory.max", mem)
            try:
                _write(d / "memory.swap.max", 0)
            except OSError:
                pass
            _write(d / "pids.max", limits.max_processes)
            _write(d / "cpu.max", "100000 100000")

    def counters(self):
        """Cumulative event counters: OOM kills and refused forks, and the memory peak (bytes)."""
        if self.version == "v1":
            return {"oom_kills": _read_counter(self.dirs["memory"] / "memory.oom_control", "oom_kill"),
                    "forks_refused": _read_counter(self.dirs["pids"] / "pids.events", "max"),
                    "memory_peak": _read_int(self.dirs["memory"] / "memory.max_usage_in_bytes", 0)}
        d = self.dirs["memory"]
        return {"oom_kills": _read_counter(d / "memory.events", "oom_kill"),
                "forks_refused": _read_counter(d / "pids.events", "max"),
                "memory_peak": _read_int(d / "memory.peak", 0)}

    def throttled_ns(self):
        """Time the slot's tasks were held back by its own CPU cap (ns): their doing, not the machine's."""
        if self.version == "v1":
            return _read_counter(self.dirs["cpu"] / "cpu.stat", "throttled_time")
        return 1000 * _read_counter(self.dirs["cpu"] / "cpu.stat", "throttled_usec")

    def pids(self):
        try:
            return [int(p) for p in Path(self.dirs["pids"] / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_all(self, wait=10.0):
        """SIGKILL every process in the slot until none is left (a fork bomb races the first pass)."""
        kill_file = self.dirs["pids"] / "cgroup.kill"
        deadline = time.monotonic() + wait
        while True:
            pids = self.pids()
            if not pids:
                return True
            if self.version == "v2" and kill_file.exists():
                try:
                    _write(kill_file, 1)
                except OSError:
                    pass
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)

    def remove(self):
        for d in set(self.dirs.values()):
            try:
                d.rmdir()
            except OSError:
                pass


def _read_int(path, default):
    try:
        return int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return default


# ---------------------------------------------------------------------------------------------
# Slots: one per worker process, machine-wide (so concurrent graders never share one)
# ---------------------------------------------------------------------------------------------

def state_dir():
    """Machine-wide folder for slot locks and kernel socket folders."""
    if os.geteuid() == 0:
        return Path("/run") / CGROUP_NAME
    return Path(tempfile.gettempdir()) / f"{CGROUP_NAME}-{os.geteuid()}"


class Slot:
    """A worker's sandbox slot: its uid, cgroups and kernel-socket folder, held by a file lock.

    Claim one with :meth:`claim`; the lock is held until :meth:`release` or the process ends.
    """

    def __init__(self, index, lock_fd, sup):
        self.index = index
        self.support = sup
        self._lock_fd = lock_fd
        self.uid = UID_BASE + index if sup.switch_user else os.geteuid()
        self.gid = UID_BASE + index if sup.switch_user else os.getegid()
        self.sockets = state_dir() / f"slot-{index}"   # short path: unix sockets live here
        self.cgroups = _Cgroups(sup.cgroup, index) if sup.cgroup else None
        self._baseline = {}
        self._mounted = False
        self._setup_socket_dir()

    @classmethod
    def claim(cls, sup=None):
        sup = sup or support()
        locks = state_dir() / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        for index in range(MAX_SLOTS):
            fd = os.open(locks / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            os.set_inheritable(fd, False)
            return cls(index, fd, sup)
        raise SandboxError(f"all {MAX_SLOTS} sandbox slots are in use (locks in {locks}); "
                           "wait for the other grading runs to finish")

    def _setup_socket_dir(self):
        d = self.sockets
        d.mkdir(parents=True, exist_ok=True)
        if self.support.root and not os.path.ismount(d):
            # a tiny tmpfs: the kernel must be able to create its sockets here, and nothing more
            try:
                subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,nr_inodes=128,mode=0700",
                                f"{CGROUP_NAME}-slot", str(d)], check=True, capture_output=True)
                self._mounted = True
            except (OSError, subprocess.CalledProcessError):
                pass
        self.clear_sockets()

    def clear_sockets(self):
        for p in self.sockets.iterdir():
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        os.chmod(self.sockets, 0o700)
        if self.support.switch_user:
            os.chown(self.sockets, self.uid, self.gid)

    def prepare(self, limits):
        """Get ready for the next kernel: nothing left running, limits set, counters noted."""
        self.kill_all()
        self.clear_sockets()
        if self.cgroups:
            self.cgroups.configure(limits)
            self._baseline = self.cgroups.counters()

    def counters(self):
        """Events since :meth:`prepare`: OOM kills, refused forks; and the memory peak."""
        if not self.cgroups:
            return {"oom_kills": 0, "forks_refused": 0, "memory_peak": 0}
        now = self.cgroups.counters()
        return {"oom_kills": now["oom_kills"] - self._baseline.get("oom_kills", 0),
                "forks_refused": now["forks_refused"] - self._baseline.get("forks_refused", 0),
                "memory_peak": now["memory_peak"]}

    def sched_times(self, root_pid=None):
        """(running, waiting for a CPU) in ns, summed over the slot's threads so far (see sched_times)."""
        if self.cgroups:
            pids = self.cgroups.pids()
        elif root_pid is not None:
            pids = [root_pid, *_descendants(root_pid)]
        else:
            pids = []
        run, wait = sched_times(pids)
        if self.cgroups:
            wait = max(0, wait - self.cgroups.throttled_ns())
        return run, wait

    def kill_all(self):
        """Kill every process left in this slot (cgroup members, and the slot uid's processes).

        Returns True when nothing is left running.
        """
        gone = True
        if self.cgroups:
            gone = self.cgroups.kill_all()
        if self.support.switch_user:
            gone = not _kill_uid(self.uid) and gone
        return gone

    def release(self):
        self.kill_all()
        if self._mounted:
            subprocess.run(["umount", "-l", str(self.sockets)], capture_output=True)
        shutil.rmtree(self.sockets, ignore_errors=True)
        if self.cgroups:
            self.cgroups.remove()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _uid_processes(uid):
    """Pids of the live processes (zombies aside) whose real uid is ``uid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            real_uid = int(status.split("\nUid:", 1)[1].split()[0])
            state = status.split("\nState:", 1)[1].split()[0]
        except (OSError, IndexError, ValueError):
            continue   # not a process any more, or not one we may read
        if real_uid == uid and state != "Z":
            found.append(int(entry.name))
    return found


def _kill_uid(uid, wait=10.0):
    """SIGKILL every process whose real uid is ``uid`` until none is left (or ``wait`` s have passed).

    A slot's uid is used by nothing but its sandbox. Returns the pids still alive at the end (a killed
    process can take a moment to exit on a loaded machine; one that outlives ``wait`` is reported).
    """
    if uid == 0:
        return []
    deadline = time.monotonic() + wait
    while True:
        found = _uid_processes(uid)
        if not found or time.monotonic() > deadline:
            return found
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def sweep_slots(indices=range(MAX_SLOTS), sup=None):
    """Kill whatever sandboxes left running in the slots ``indices`` that no grader holds now.

    The batch's main process calls this after its workers have exited: a worker kills its kernel after
    every submission, and this is the second line, so that no student code outlives the batch even if
    a worker was itself killed. A slot another grading run holds at that moment is skipped (its
    kernel is that run's). Returns {slot index: pids found running}, for the slots where any were.
    """
    sup = sup or support()
    locks = state_dir() / "locks"
    left = {}
    for index in sorted(set(indices)):
        try:
            fd = os.open(locks / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue   # another grading run took this slot since: leave its kernel alone
            found = []
            if sup.cgroup and _Cgroups.exists(sup.cgroup, index):
                cgroups = _Cgroups(sup.cgroup, index)
                found += cgroups.pids()
                cgroups.kill_all()
                cgroups.remove()
            if sup.switch_user:
                uid = UID_BASE + index
                found += _uid_processes(uid)
                _kill_uid(uid)
            if found:
                left[index] = sorted(set(found))
        finally:
            os.close(fd)
    return left


# ---------------------------------------------------------------------------------------------
# The command line that starts a kernel in the sandbox
# ---------------------------------------------------------------------------------------------

ETC_FILES = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf", "hosts",
             "localtime", "timezone", "fonts", "ssl", "ca-certificates", "mime.types", "alternatives",
             "matplotlibrc", "os-release"]


def python_paths():
    """Host folders the kernel's Python needs: the interpreter, the environment, the course package."""
    paths = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix),
             Path(os.path.realpath(sys.executable)).parent.parent}
    # the course package sits next to this one (an editable install maps it there); a regular
    # install lives inside the environment, which is mounted anyway
    course = Path(__file__).resolve().parent.parent / "course"
    if (course / "__init__.py").is_file():
        paths.add(course)
    return sorted(p.resolve() for p in paths if p.exists())


def data_dir():
    """The course's data cache on this machine, if there is one (mounted read-only)."""
    d = Path(os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "dl-course")
    return d.resolve() if d.is_dir() else None


def mounted_paths():
    """The host folders mounted read-only into the sandbox, outermost only (/usr is mounted anyway)."""
    ro = [p for p in python_paths() if not str(p).startswith("/usr/")]
    data = data_dir()
    if data:
        ro.append(data)
    return [p for p in ro if not any(q != p and q in p.parents for q in ro)]


def kernel_home(mounted):
    """Where the kernel's home goes: /home/student, unless one of the host folders the kernel needs is
    there too (the grader's own venv, for an instructor whose account is called student)."""
    for candidate in [HOME, *OTHER_HOMES]:
        c = Path(candidate)
        if not any(c == p or c in p.parents or p in c.parents for p in map(Path, mounted)):
            return candidate
    raise SandboxError(f"no folder is free for the kernel's home: {', '.join([HOME, *OTHER_HOMES])} all hold "
                       f"or lie inside folders the kernel needs ({', '.join(map(str, mounted))}); install the "
                       "course's environment elsewhere")


class Sandbox:
    """Builds the argv that runs a command (the kernel) inside a slot's sandbox.

    ``files`` maps names inside the kernel's working folder to host files, mounted read-only;
    the folder itself is a writable tmpfs.
    """

    def __init__(self, slot, limits, workdir_name, files, home_files=None):
        self.slot = slot
        self.limits = limits
        self.home = kernel_home(mounted_paths())
        self.workdir = f"{self.home}/{workdir_name}"
        self.files = dict(files)
        self._home_files = dict(home_files or {})   # path inside the home -> host file

    def home_files(self):
        """Read-only files in the kernel's home: the output limiter, the answers' guard, and any given
        (the font cache, the guard's spec)."""
        return {STARTUP_FILE: Path(__file__).with_name("kernel_startup.py"),
                WITHHOLD_FILE: Path(__file__).with_name("kernel_withhold.py"),
                SERVE_FILE: Path(__file__).with_name("kernel_serve.py"),
                WIRE_FILE: Path(__file__).with_name("wire.py"), **self._home_files}

    @property
    def support(self):
        return self.slot.support

    def env(self):
        venv_bin = str(Path(sys.executable).parent)
        home = self.home
        env = {"HOME": home, "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "NBGRADER_EXECUTION": "autograde", "MPLCONFIGDIR": f"{home}/.config/matplotlib",
               "IPYTHONDIR": f"{home}/.ipython", "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter-runtime",
               "MPLBACKEND": "module://matplotlib_inline.backend_inline",
               "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "NUMEXPR_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
               "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "",
               "COURSE_GRADE_OUTPUT_BYTES": str(int(self.limits.output_mb * 2 ** 20)),
               "COURSE_GRADE_FLOOD_BYTES": str(FLOOD_BYTES),
               "COURSE_GRADE_CHECK_SOCKET": str(self.slot.sockets / CHECK_SOCKET)}
        data = data_dir()
        if data:
            env["COURSE_DATA_DIR"] = str(data)
        return env

    def _limits_argv(self):
        lim = self.limits
        argv = ["prlimit", f"--cpu={lim.cpu_limit}:{lim.cpu_limit + 5}", f"--fsize={lim.file_mb << 20}",
                "--core=0", "--nofile=1024"]
        if self.support.switch_user:
            argv.append(f"--nproc={lim.max_processes}")
        if not self.support.cgroup:
            # no memory cgroup: cap the address space instead (coarser: counts mapped, not used, memory)
            argv.append(f"--as={(lim.memory_mb + 512) << 20}")
        return argv + ["--"]

    def _user_argv(self):
        if not self.support.switch_user:
            return []
        return ["setpriv", f"--reuid={self.slot.uid}", f"--regid={self.slot.gid}", "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]

    def _bwrap_argv(self):
        lim = self.limits
        argv = [self.support.bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--hostname", "sandbox", "--die-with-parent"]
        dirs = set()

        def mkdirs(path):
            # bwrap creates missing parents as 0700 root; the kernel's uid must be able to traverse them
            out = []
            for parent in reversed(Path(path).parents):
                p = str(parent)
                if p != "/" and p not in dirs and p not in covered:
                    dirs.add(p)
                    out += ["--perms", "0755", "--dir", p]
            return out

        home = self.home
        covered = {"/usr", "/tmp", "/proc", "/dev", home}
        argv += ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            p = Path("/") / name
            if p.is_symlink():
                argv += ["--symlink", os.readlink(p), str(p)]
            elif p.is_dir():
                argv += ["--ro-bind", str(p), str(p)]
                covered.add(str(p))
        for name in ETC_FILES:
            argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        # the private /tmp comes before the read-only binds: an environment or a checkout that lives
        # under the host's /tmp (a CI clone, say) is then bound on top of it instead of hidden by it
        argv += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(lim.scratch_mb << 20), "--tmpfs", "/tmp"]
        for p in mounted_paths():
            argv += mkdirs(p) + ["--ro-bind", str(p), str(p)]
            covered.add(str(p))
        argv += mkdirs(home) + ["--perms", "1777", "--size", str(lim.scratch_mb << 20), "--tmpfs", home]
        for d in HOME_DIRS:
            argv += ["--perms", "1777", "--dir", f"{home}/{d}"]
        argv += ["--perms", "1777", "--dir", self.workdir]
        made = set()
        for name, host in sorted(self.files.items()):
            for parent in reversed(Path(name).parents[:-1]):   # sub-folders of the working folder
                if parent not in made:
                    made.add(parent)
                    argv += ["--perms", "1777", "--dir", f"{self.workdir}/{parent}"]
            argv += ["--ro-bind", str(host), f"{self.workdir}/{name}"]
        for inside, host in self.home_files().items():
            argv += ["--ro-bind", str(host), f"{home}/{inside}"]
        sockets = str(self.slot.sockets)
        argv += mkdirs(sockets) + ["--bind", sockets, sockets]
        argv += ["--chdir", self.workdir, "--clearenv"]
        for key, value in self.env().items():
            argv += ["--setenv", key, value]
        if self.support.switch_user:
            # keep just what setpriv needs to switch to the slot's uid; it then drops everything
            argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                     "--cap-add", "CAP_SETPCAP"]
        return argv + ["--"]

    def wrap(self, argv):
        """The full argv that runs ``argv`` in this sandbox."""
        inner = self._limits_argv() + self._user_argv() + list(argv)
        if self.support.bwrap:
            inner = self._bwrap_argv() + inner
        else:
            inner = ["env", "-i", *[f"{k}={v}" for k, v in self._unsandboxed_env().items()], *inner]
        if self.support.cgroup:
            # join the slot's cgroups, then exec: everything the kernel starts stays inside them
            script = ('for f do case "$f" in --) shift; break;; esac; '
                      'echo $$ > "$f" || exit 125; shift; done; exec "$@"')
            inner = ["/bin/sh", "-c", script, "sh", *self.slot.cgroups.procs_files(), "--", *inner]
        return inner

    def _unsandboxed_env(self):
        """Without bubblewrap the kernel runs in a scratch home on the host."""
        env = self.env()
        home = self.host_home
        env.update(HOME=str(home), MPLCONFIGDIR=str(home / ".config" / "matplotlib"),
                   IPYTHONDIR=str(home / ".ipython"), JUPYTER_RUNTIME_DIR=str(home / ".jupyter-runtime"))
        return env

    host_home = None   # without bubblewrap: the kernel's home, a scratch folder on the host

    def host_setup(self):
        """Without bubblewrap, copy the kernel's files into a scratch home on the host instead."""
        if self.support.bwrap:
            return None
        home = Path(tempfile.mkdtemp(prefix=f"{CGROUP_NAME}-home-"))
        copies = {**{f"{Path(self.workdir).name}/{k}": v for k, v in self.files.items()},
                  **self.home_files()}
        for name, host in copies.items():
            (home / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(host, home / name)
        if self.support.switch_user:
            for path in [home, *home.rglob("*")]:
                os.chown(path, self.slot.uid, self.slot.gid)
        self.host_home = home
        return home

    def host_cleanup(self):
        if self.host_home is not None:
            shutil.rmtree(self.host_home, ignore_errors=True)
            self.host_home = None

    @property
    def cwd(self):
        """The kernel's working folder as the launcher sees it."""
        if self.support.bwrap:
            return "/"   # bwrap --chdir sets the folder inside
        return str(self.host_home / Path(self.workdir).name)
