"""Run a submission's code in a forked child process that can only hand back data.

The grader process builds the inputs and judges the results; the child executes the learner's
cells, runs each check's `execute` on the learner's object and writes back plain values and
tensors (read with `torch.load(weights_only=True)`, so no code travels back). Whatever the
learner patches lives and dies with the child.

The child is forked, not spawned: it inherits the already imported torch, which keeps a
submission's cost near the work it does. Forking is safe because the grader keeps torch at one
thread (no OpenMP pool exists to be broken by the fork) and never starts threads.
"""
import builtins
import io
import os
import posix
import re
import resource
import selectors
import shutil
import signal
import struct
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field

import torch

from grader.grading import isolation

MAGIC = re.compile(r"^\s*[!%]")
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "TZ")
REPORT_FD = 3  # the child's end of the report pipe; every other inherited descriptor is closed
MAX_REPORT = 256 * 1024 ** 2  # a longer announced report is a corrupted channel
_REAL_EXIT, _REAL_ABORT = os._exit, os.abort  # taken before any learner code can patch them


@dataclass
class Limits:
    seconds: float = 60.0
    memory_bytes: int = 2 * 1024 ** 3  # address space on top of what the child inherits
    output_bytes: int = 1024 * 1024  # captured stdout+stderr kept: first and last half
    file_bytes: int = 256 * 1024 ** 2  # largest file (and, with a tmpfs, all files) it may write
    processes: int = 256  # processes of the unprivileged user (enforced where we drop root)


@dataclass
class Outcome:
    """What came back from one child: `failure` is empty when the child reported normally."""
    failure: str = ""
    cell_errors: list = field(default_factory=list)
    target_error: str = ""
    tasks: dict = field(default_factory=dict)  # name -> ("ok", result) | ("todo"|"error", msg)
    guard_calls: list = field(default_factory=list)
    protections: list = field(default_factory=list)  # confinement the child ran under
    output: str = ""
    seconds: float = 0.0


def strip_magics(src):
    """Drop IPython-only lines (`!cmd`, `%magic`, `%%cell`): the grader never runs them."""
    if src.lstrip().startswith("%%"):
        return ""
    return "\n".join("pass  # magic removed by the grader" if MAGIC.match(line) else line
                     for line in src.split("\n"))


def plain(value, depth=0):
    """Copy a result into types that torch.load(weights_only=True) accepts; the rest as text."""
    if depth > 8:
        return "<nested too deep>"
    if isinstance(value, torch.Tensor):
        out = torch.empty(tuple(value.shape), dtype=value.dtype)
        out.copy_(value.detach())
        return out
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    return repr(value)[:200]


def _one_line(exc, limits=None):
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    line = (text[0] if text else type(exc).__name__)[:300]
    if limits and (isinstance(exc, MemoryError) or re.search(r"alloc\w* .*memory|memory.* alloc",
                                                             line, re.IGNORECASE)):
        line += f" (memory limit {limits.memory_bytes / 1024 ** 3:g} GiB)"
    return line


class _Exit(BaseException):
    """Raised in place of os._exit / os.abort so a cell that exits cannot end grading early."""


def _set_limits(limits):
    """Resource limits; the address-space cap is on top of what the child inherited."""
    vm = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    for res, value in ((resource.RLIMIT_AS, vm + limits.memory_bytes),
                       (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass


def _isolate(workdir, limits):
    """Confine the rest of the child; returns the protections that are active.

    The process that unshares stays outside the new PID namespace; its forked child is the
    namespace's first process, and when that one ends the kernel kills every process left
    in the namespace. The middle process only relays how it ended.
    """
    os.setsid()
    isolation.die_with_parent()
    _set_limits(limits)
    active = isolation.unshare_namespaces()
    if "pid-namespace" in active:
        pid = os.fork()
        if pid:
            _relay(pid)
        isolation.die_with_parent()
    try:
        with open("/proc/self/oom_score_adj", "w") as f:  # the OOM killer takes us, not the grader
            f.write("1000")
    except OSError:
        pass
    in_userns = "user-namespace" in active
    owner = 0 if in_userns or os.geteuid() != 0 else isolation.NOBODY
    exposed = False
    if "mount-namespace" in active:
        active = [a for a in active if a != "mount-namespace"]
        view = isolation.read_only_view(workdir, limits.file_bytes, owner)
        exposed = bool(view)
        active += view
    elif owner and isolation.can_read_python():
        os.chown(workdir, owner, owner)
    env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
    env.update(HOME=workdir, TMPDIR=workdir, MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = workdir  # the parent's cached choice (/tmp) is read-only here
    active += isolation.drop_privileges(in_userns, limits.processes, exposed)
    os.chdir(workdir)
    return active + ["trimmed-environment"]


def _relay(pid):
    """End the way the namespace's first process ended (never returns)."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    _REAL_EXIT(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 70)


def _child(cells, target, tasks, guard, limits, report_fd, output_fd, workdir):
    """Child-side: redirect output, confine, run the cells and checks, write the report."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.dup2(report_fd, REPORT_FD, inheritable=False)
    os.closerange(REPORT_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])  # other pipes
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = sys.stdout
    protections = _isolate(workdir, limits)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    report = {"cell_errors": [], "target_error": "", "tasks": {}, "guard_calls": [],
              "protections": protections}

    me = os.getpid()

    def no_exit(*args):
        if os.getpid() != me:  # a process the learner forked may end as it likes
            _REAL_EXIT(*(args or (0,)))
        raise _Exit()
    for module in (os, posix):
        module._exit = module.abort = no_exit
    ns = {"__name__": "__main__", "__builtins__": builtins}
    with (guard() if guard else _no_guard()) as calls:  # entered first: aliases taken later count
        for label, src in cells:
            try:
                exec(compile(strip_magics(src), label, "exec"), ns)
            except (_Exit, SystemExit):
                report["cell_errors"].append(f"{label}: the code tried to exit (ignored)")
            except BaseException as e:  # a learner's bug is a line in the report, not our crash
                report["cell_errors"].append(f"{label}: {_one_line(e, limits)}")
        obj = ns.get(target)
        if obj is None:
            report["target_error"] = f"no `{target}` is defined"
        elif not (isinstance(obj, type) and issubclass(obj, torch.nn.Module)):
            report["target_error"] = f"`{target}` is not a subclass of torch.nn.Module"
        else:
            for name, execute, payload in tasks:
                report["tasks"][name] = _run_task(execute, obj, payload, limits)
        report["guard_calls"] = sorted(set(str(c) for c in calls))
    if os.getpid() != me:  # a fork of the learner's that came back here: only one report
        _REAL_EXIT(0)
    buf = io.BytesIO()
    torch.save(report, buf)
    data = buf.getvalue()
    os.write(REPORT_FD, struct.pack("<Q", len(data)))
    view = memoryview(data)
    while view:
        view = view[os.write(REPORT_FD, view):]
    _REAL_EXIT(0)


def _run_task(execute, obj, payload, limits):
    """("ok", plain result) or ("todo"|"error", one-line message)."""
    try:
        return "ok", plain(execute(obj, payload))
    except (_Exit, SystemExit):
        return "error", "the code tried to exit during the check"
    except BaseException as e:
        if isinstance(e, NotImplementedError) or type(e).__name__ == "NotImplementedYet":
            return "todo", "not implemented yet"
        return "error", f"raised {_one_line(e, limits)}"


class _no_guard:
    def __enter__(self):
        return []

    def __exit__(self, *exc):
        return False


class _Capture:
    """The child's stdout+stderr, keeping only the first and last `limit // 2` bytes."""

    def __init__(self, limit):
        self.half, self.head, self.tail, self.size = limit // 2, bytearray(), deque(), 0
        self.tail_size = 0

    def add(self, chunk):
        self.size += len(chunk)
        room = self.half - len(self.head)
        self.head += chunk[:room]
        chunk = chunk[room:] if room > 0 else chunk
        if chunk:
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size - len(self.tail[0]) >= self.half:
                self.tail_size -= len(self.tail.popleft())

    def text(self):
        tail = b"".join(self.tail)[-self.half:] if self.half else b""
        cut = self.size - len(self.head) - len(tail)
        middle = f"\n[... {cut} bytes cut ...]\n".encode() if cut else b""
        return (bytes(self.head) + middle + tail).decode("utf-8", errors="replace")


def _oom_kills():
    """The kernel's count of OOM-killer kills, or None where it is not exposed."""
    try:
        with open("/proc/vmstat") as f:
            return next((int(l.split()[1]) for l in f if l.startswith("oom_kill ")), None)
    except OSError:
        return None


class Child:
    """One running submission. Poll it from a selector loop; `finish()` returns an Outcome."""

    def __init__(self, cells, target, tasks, guard=None, limits=Limits()):
        self.limits = limits
        self.start = time.monotonic()
        self.oom_before = _oom_kills()
        self.workdir = tempfile.mkdtemp(prefix="grader-run-")
        read_fd, write_fd = os.pipe()
        out_read, out_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        # A Ctrl-C landing inside fork() would be raised in an after-fork hook and swallowed,
        # so the batch would go on: hold SIGINT until each side has set itself up.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child never returns
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader handles Ctrl-C
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
                _child(cells, target, tasks, guard, limits, write_fd, out_write, self.workdir)
            finally:
                _REAL_EXIT(70)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(write_fd)
        os.close(out_write)
        os.set_blocking(out_read, False)
        self.fd, self.out_fd = read_fd, out_read
        self.capture = _Capture(limits.output_bytes)
        self.data = bytearray()

    @property
    def deadline(self):
        return self.start + self.limits.seconds

    def on_readable(self):
        """Read what the child sent; True once the whole report is in or the pipe closed.

        The report is length-prefixed, so a process the learner left holding the pipe open
        cannot keep us waiting, and an absurd length ends the reading.
        """
        chunk = os.read(self.fd, 1 << 20)
        self.data += chunk
        if len(self.data) >= 8:
            (size,) = struct.unpack("<Q", self.data[:8])
            if len(self.data) >= 8 + size or size > MAX_REPORT:
                return True
        return not chunk

    def on_output(self):
        """Keep what the child printed; False once its output pipe is closed."""
        try:
            chunk = os.read(self.out_fd, 1 << 20)
        except BlockingIOError:
            return True
        self.capture.add(chunk)
        return bool(chunk)

    def kill(self):
        for target in (lambda: os.killpg(self.pid, signal.SIGKILL),
                       lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass

    def finish(self, timed_out=False, keep=()):
        """Reap the child and everything it started (sparing `keep`); decode its report."""
        if timed_out:
            self.kill()
        status = _wait(self.pid, grace=2.0)
        self.kill()  # the session's leftovers
        reap_orphans(keep)
        for _ in range(64):  # what is still in the pipe (a leftover cannot keep it flowing)
            if not self.on_output():
                break
        os.close(self.fd)
        os.close(self.out_fd)
        out = Outcome(seconds=time.monotonic() - self.start, output=self.capture.text())
        shutil.rmtree(self.workdir, ignore_errors=True)
        if timed_out:
            out.failure = f"time limit: still running after {self.limits.seconds:g} s"
            return out
        try:
            out.__dict__.update(_decode(bytes(self.data)))
        except ValueError as e:
            out.failure = _death_reason(status, self.limits, self.oom_before) or str(e)
        return out


def _wait(pid, grace):
    """waitpid, but kill the child if it lingers after reporting."""
    end = time.monotonic() + grace
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def _decode(data):
    if len(data) < 8:
        raise ValueError("the submission ended the grading process before its checks finished")
    (size,) = struct.unpack("<Q", data[:8])
    if size != len(data) - 8:
        raise ValueError("the grading channel was corrupted by the submission")
    try:
        report = torch.load(io.BytesIO(data[8:]), weights_only=True)
    except Exception:
        raise ValueError("the grading channel was corrupted by the submission") from None
    if not isinstance(report, dict) or set(report) != {"cell_errors", "target_error", "tasks",
                                                       "guard_calls", "protections"}:
        raise ValueError("the grading channel was corrupted by the submission")
    return report


def _death_reason(status, limits, oom_before=None):
    """Why a child that sent no report ended, when its exit status tells."""
    if not os.WIFSIGNALED(status):
        return ""
    sig = os.WTERMSIG(status)
    gib = f"{limits.memory_bytes / 1024 ** 3:g} GiB"
    if sig == signal.SIGKILL:
        after = _oom_kills()
        if oom_before is not None and after is not None and after > oom_before:
            return (f"out of memory: killed by the kernel's OOM killer before its checks "
                    f"finished (memory limit {gib})")
        return "killed by SIGKILL before its checks finished"
    if sig == signal.SIGXFSZ:
        return f"wrote a file larger than {limits.file_bytes / 1024 ** 2:g} MiB"
    return f"crashed with signal {signal.Signals(sig).name} before its checks finished"


def become_subreaper():
    """Make orphaned descendants of our children our own children (Linux), to reap them."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans(keep=()):
    """Kill and reap processes re-parented to us (detached leftovers of a submission)."""
    me = os.getpid()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit() or int(entry) in keep:
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            pid = int(entry)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError, PermissionError):
                pass


def run(cells, target, tasks, guard=None, limits=Limits()):
    """Run one submission to completion (the single-submission path)."""
    return run_many([(cells, target, tasks, guard, limits)], jobs=1)[0]


def run_many(jobs_args, jobs=1, on_done=None):
    """Run several submissions, at most `jobs` at a time; on_done(index, outcome) as each ends.

    We become a subreaper first, so what a submission detaches is re-parented to us and reaped.
    """
    become_subreaper()
    outcomes = [None] * len(jobs_args)
    sel = selectors.DefaultSelector()
    pending = list(enumerate(jobs_args))[::-1]
    running = {}  # report fd -> (index, child)
    while pending or running:
        while pending and len(running) < jobs:
            i, args = pending.pop()
            child = Child(*args)
            running[child.fd] = (i, child)
            sel.register(child.fd, selectors.EVENT_READ, (child, True))
            sel.register(child.out_fd, selectors.EVENT_READ, (child, False))
        soonest = min(c.deadline for _, c in running.values())
        events = sel.select(timeout=max(0.0, soonest - time.monotonic()))
        finished = set()
        for key, _ in events:
            child, is_report = key.data
            if is_report and child.on_readable():
                finished.add(child.fd)
            elif not is_report and not child.on_output():
                sel.unregister(key.fd)
        now = time.monotonic()
        done = [(fd, False) for fd in finished]
        done += [(fd, True) for fd, (_, c) in running.items()
                 if c.deadline <= now and fd not in finished]
        for fd, timed_out in done:
            i, child = running.pop(fd)
            for f in (fd, child.out_fd):
                if f in sel.get_map():
                    sel.unregister(f)
            outcomes[i] = child.finish(timed_out, keep={c.pid for _, c in running.values()})
            if on_done:
                on_done(i, outcomes[i])
    return outcomes
