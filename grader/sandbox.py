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
import re
import resource
import selectors
import signal
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field

import torch

MAGIC = re.compile(r"^\s*[!%]")
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "TZ")


@dataclass
class Limits:
    seconds: float = 60.0
    memory_bytes: int = 2 * 1024 ** 3
    output_bytes: int = 1024 * 1024  # captured stdout+stderr kept: first and last half
    file_bytes: int = 256 * 1024 ** 2  # largest file the submission may write


@dataclass
class Outcome:
    """What came back from one child: `failure` is empty when the child reported normally."""
    failure: str = ""
    cell_errors: list = field(default_factory=list)
    target_error: str = ""
    tasks: dict = field(default_factory=dict)  # name -> ("ok", result) | ("todo"|"error", msg)
    guard_calls: list = field(default_factory=list)
    protections: list = field(default_factory=list)  # namespaces the child ran in
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


def _one_line(exc):
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


class _Exit(BaseException):
    """Raised in place of os._exit so a cell that exits cannot end grading early."""


CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000


def _unshare():
    """Enter new PID and network namespaces where Linux lets us (as root, or through a user
    namespace). The learner's process then cannot see or signal the grader, has no network,
    and everything it starts dies with it. Returns the protections that are active."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return []
    flags = CLONE_NEWPID | CLONE_NEWNET
    for extra in ((0,) if os.geteuid() == 0 else ()) + (CLONE_NEWUSER,):
        if libc.unshare(flags | extra) == 0:
            return ["pid-namespace", "no-network"] + (["user-namespace"] if extra else [])
    return []


def _confine(workdir, limits):
    """Child-side: resource limits, trimmed environment, a private working folder."""
    vm = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    cap = max(limits.memory_bytes, vm + 256 * 1024 ** 2)
    for res, value in ((resource.RLIMIT_AS, cap), (resource.RLIMIT_FSIZE, limits.file_bytes),
                       (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass
    env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
    env.update(HOME=workdir, TMPDIR=workdir, MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    os.environ.clear()
    os.environ.update(env)
    os.chdir(workdir)


def _isolate():
    """Run the rest of the child in fresh namespaces when possible.

    The process that called unshare stays outside the new PID namespace; its forked child
    is the namespace's first process. The middle process only relays the exit status.
    """
    os.setsid()
    active = _unshare()
    if "pid-namespace" not in active:
        return active
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) else 128 + 9)
    return active


def _child(cells, target, tasks, guard, limits, write_fd, capture_fd, workdir):
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(capture_fd, 1)
    os.dup2(capture_fd, 2)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = sys.stdout
    protections = _isolate()
    _confine(workdir, limits)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    report = {"cell_errors": [], "target_error": "", "tasks": {}, "guard_calls": [],
              "protections": protections}

    def no_exit(*_args):
        raise _Exit()
    real_exit, os._exit = os._exit, no_exit
    ns = {"__name__": "__main__", "__builtins__": builtins}
    with (guard() if guard else _no_guard()) as calls:  # entered first: aliases taken later count
        for label, src in cells:
            try:
                exec(compile(strip_magics(src), label, "exec"), ns)
            except (_Exit, SystemExit):
                report["cell_errors"].append(f"{label}: the code tried to exit (ignored)")
            except BaseException as e:  # a learner's bug is a line in the report, not our crash
                report["cell_errors"].append(f"{label}: {_one_line(e)}")
        obj = ns.get(target)
        if obj is None:
            report["target_error"] = f"no `{target}` is defined"
        elif not (isinstance(obj, type) and issubclass(obj, torch.nn.Module)):
            report["target_error"] = f"`{target}` is not a subclass of torch.nn.Module"
        else:
            for name, execute, payload in tasks:
                report["tasks"][name] = _run_task(execute, obj, payload)
        report["guard_calls"] = sorted(set(str(c) for c in calls))
    buf = io.BytesIO()
    torch.save(report, buf)
    data = buf.getvalue()
    os.write(write_fd, struct.pack("<Q", len(data)))
    view = memoryview(data)
    while view:
        view = view[os.write(write_fd, view):]
    real_exit(0)


def _run_task(execute, obj, payload):
    """("ok", plain result) or ("todo"|"error", one-line message)."""
    try:
        return "ok", plain(execute(obj, payload))
    except (_Exit, SystemExit):
        return "error", "the code tried to exit during the check"
    except BaseException as e:
        if isinstance(e, NotImplementedError) or type(e).__name__ == "NotImplementedYet":
            return "todo", "not implemented yet"
        return "error", f"raised {_one_line(e)}"


class _no_guard:
    def __enter__(self):
        return []

    def __exit__(self, *exc):
        return False


class Child:
    """One running submission. Poll it from a selector loop; `finish()` returns an Outcome."""

    def __init__(self, cells, target, tasks, guard=None, limits=Limits()):
        self.limits = limits
        self.start = time.monotonic()
        self.workdir = tempfile.mkdtemp(prefix="grader-run-")
        self.capture = tempfile.TemporaryFile(prefix="grader-out-")
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child never returns
            try:
                os.close(read_fd)
                _child(cells, target, tasks, guard, limits, write_fd, self.capture.fileno(),
                       self.workdir)
            finally:
                os._exit(70)
        os.close(write_fd)
        self.fd = read_fd
        self.data = bytearray()
        self.done = False
        self.status = None

    @property
    def deadline(self):
        return self.start + self.limits.seconds

    def on_readable(self):
        """Read what the child sent; True once the whole report is in or the pipe closed.

        The report is length-prefixed, so a process the learner left holding the pipe open
        cannot keep us waiting.
        """
        chunk = os.read(self.fd, 1 << 20)
        self.data += chunk
        if len(self.data) >= 8:
            (size,) = struct.unpack("<Q", self.data[:8])
            if len(self.data) >= 8 + size:
                return True
        return not chunk

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
        os.close(self.fd)
        out = Outcome(seconds=time.monotonic() - self.start, output=self._output())
        _remove_tree(self.workdir)
        if timed_out:
            out.failure = f"time limit: still running after {self.limits.seconds:g} s"
            return out
        try:
            out.__dict__.update(_decode(bytes(self.data)))
        except ValueError as e:
            out.failure = _death_reason(status, self.limits) or str(e)
        return out

    def _output(self):
        self.capture.seek(0, os.SEEK_END)
        size, half = self.capture.tell(), self.limits.output_bytes // 2
        self.capture.seek(0)
        if size <= 2 * half:
            text = self.capture.read()
        else:
            head = self.capture.read(half)
            self.capture.seek(size - half)
            text = head + f"\n[... {size - 2 * half} bytes cut ...]\n".encode() + self.capture.read()
        self.capture.close()
        return text.decode("utf-8", errors="replace")


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


def _death_reason(status, limits):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGKILL:
            return ("killed (out of memory?) before its checks finished; memory limit "
                    f"{limits.memory_bytes / 1024 ** 3:g} GiB")
        return f"crashed with signal {signal.Signals(sig).name} before its checks finished"
    return ""


def _remove_tree(path):
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files + dirs:
            full = os.path.join(root, name)
            try:
                os.rmdir(full) if os.path.isdir(full) and not os.path.islink(full) else os.unlink(full)
            except OSError:
                pass
    try:
        os.rmdir(path)
    except OSError:
        pass


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
    """Run several submissions, at most `jobs` at a time; on_done(index, outcome) as each ends."""
    outcomes = [None] * len(jobs_args)
    sel = selectors.DefaultSelector()
    pending = list(enumerate(jobs_args))[::-1]
    running = {}
    while pending or running:
        while pending and len(running) < jobs:
            i, args = pending.pop()
            child = Child(*args)
            running[child.fd] = (i, child)
            sel.register(child.fd, selectors.EVENT_READ)
        soonest = min(c.deadline for _, c in running.values())
        events = sel.select(timeout=max(0.0, soonest - time.monotonic()))
        finished = [(fd, False) for fd, _ in
                    ((key.fd, None) for key, _ in events) if running[fd][1].on_readable()]
        now = time.monotonic()
        finished += [(fd, True) for fd, (_, c) in running.items() if c.deadline <= now
                     and fd not in {f for f, _ in finished}]
        for fd, timed_out in finished:
            i, child = running.pop(fd)
            sel.unregister(fd)
            outcomes[i] = child.finish(timed_out, keep={c.pid for _, c in running.values()})
            if on_done:
                on_done(i, outcomes[i])
    return outcomes
