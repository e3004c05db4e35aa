"""The child's side: confine itself, run the learner's cells, run each check's execute on the
learner's objects, and report plain data. Nothing here decides a verdict.

The child is forked from the grader, so it inherits the already imported torch, which keeps
a submission's cost near the work it does; forking is safe because the grader keeps torch at
one thread (no OpenMP pool exists to be broken by the fork) and never starts threads.
"""
import builtins
import io
import linecache
import os
import posix
import re
import resource
import signal
import sys
import tempfile

import torch

from grader.grading.sandbox import channel, isolation, lazyplot
from grader.payload import checkkit

MAGIC = re.compile(r"^\s*[!%]")
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "TZ")
REAL_EXIT, REAL_ABORT = os._exit, os.abort  # taken before any learner code can patch them
KIND_NAMES = {"module": "a subclass of torch.nn.Module",
              "autograd": "a subclass of torch.autograd.Function",
              "class": "a class", "function": "a function"}


def strip_magics(src):
    """Drop IPython-only lines (`!cmd`, `%magic`, `%%cell`): the grader never runs them."""
    if src.lstrip().startswith("%%"):
        return ""
    return "\n".join("pass  # magic removed by the grader" if MAGIC.match(line) else line
                     for line in src.split("\n"))


def exception_line(exc, limits=None):
    """An exception as one short line; a memory error names the limit."""
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    line = (text[0] if text else type(exc).__name__)[:300]
    if limits and (isinstance(exc, MemoryError) or re.search(r"alloc\w* .*memory|memory.* alloc",
                                                             line, re.IGNORECASE)):
        line += f" (memory limit {limits.memory_bytes / 1024 ** 3:g} GiB)"
    return line


def is_kind(obj, kind):
    """Does the learner's object have the kind its target declares?"""
    if kind == "module":
        return isinstance(obj, type) and issubclass(obj, torch.nn.Module)
    if kind == "autograd":
        return isinstance(obj, type) and issubclass(obj, torch.autograd.Function)
    if kind == "class":
        return isinstance(obj, type)
    return callable(obj) and not isinstance(obj, type)


def resolve(ns, targets):
    """{target: ("ok", obj) | ("todo" | "fail", message)} from the namespace the cells left."""
    found = {}
    for name, kind in targets.items():
        obj = ns.get(name)
        if obj is None:
            found[name] = ("todo", f"`{name}` is not defined yet")
        elif not is_kind(obj, kind):
            found[name] = ("fail", f"`{name}` is not {KIND_NAMES[kind]}")
        else:
            found[name] = ("ok", obj)
    return found


class Exit(BaseException):
    """Raised in place of os._exit / os.abort so a cell that exits cannot end grading early."""


def set_limits(limits):
    """Resource limits; the address-space cap is on top of what the child inherited."""
    vm = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    for res, value in ((resource.RLIMIT_AS, vm + limits.memory_bytes),
                       (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass


def isolate(workdir, limits):
    """Confine the rest of the child; returns the protections that are active.

    The process that unshares stays outside the new PID namespace; its forked child is the
    namespace's first process, and when that one ends the kernel kills every process left
    in the namespace. The middle process only relays how it ended.
    """
    os.setsid()
    isolation.die_with_parent()
    set_limits(limits)
    active = isolation.unshare_namespaces()
    if "pid-namespace" in active:
        pid = os.fork()
        if pid:
            relay(pid)
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


def relay(pid):
    """End the way the namespace's first process ended (never returns)."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    REAL_EXIT(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 70)


def run_task(execute, obj, inputs, limits, places=None):
    """("ok", plain result) or ("todo" | "error", one-line message naming the learner's line:
    places maps each cell's code file name to the name the learner knows it by)."""
    try:
        return "ok", channel.plain(execute(obj, inputs))
    except (Exit, SystemExit):
        return "error", "the code tried to exit during the check"
    except BaseException as e:
        if isinstance(e, NotImplementedError):
            return "todo", "not implemented yet"
        return "error", checkkit.raised(e, obj, (execute,), places, exception_line(e, limits))


def cell_files(cells):
    """{label: what the learner calls it}, with each cell's source in linecache under its
    label (the code file name it is compiled with), so a traceback can quote its lines."""
    places = {}
    for label, src in cells:
        code = strip_magics(src)
        linecache.cache[label] = (len(code), None, code.splitlines(keepends=True), label)
        places[label] = f"your {label}" if label.startswith("cell ") else f"your file {label}"
    return places


class _NoGuard:
    def __enter__(self):
        return []

    def __exit__(self, *exc):
        return False


def main(job, report_fd, output_fd, workdir):
    """Redirect output, confine, run the cells and the checks, write the report, exit."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.dup2(report_fd, channel.REPORT_FD, inheritable=False)
    os.closerange(channel.REPORT_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = sys.stdout
    limits = job.limits
    report = {"cell_errors": [], "tasks": {}, "guard_calls": [],
              "protections": isolate(workdir, limits)}
    torch.set_num_threads(1)
    torch.manual_seed(0)
    lazyplot.install()  # a no-op when the grader preloaded matplotlib for a batch
    me = os.getpid()

    def no_exit(*args):
        if os.getpid() != me:  # a process the learner forked may end as it likes
            REAL_EXIT(*(args or (0,)))
        raise Exit()
    for module in (os, posix):
        module._exit = module.abort = no_exit
    ns = {"__name__": "__main__", "__builtins__": builtins}
    places = cell_files(job.cells)
    with (job.guard() if job.guard else _NoGuard()) as calls:  # first: later aliases count
        for label, src in job.cells:
            try:
                exec(compile(strip_magics(src), label, "exec"), ns)
            except (Exit, SystemExit):
                report["cell_errors"].append(f"{label}: the code tried to exit (ignored)")
            except BaseException as e:  # a learner's bug is a line in the report, not our crash
                report["cell_errors"].append(f"{label}: {exception_line(e, limits)}")
        found = resolve(ns, job.targets)
        for name, target, execute, inputs in job.tasks:
            status, obj = found[target]
            report["tasks"][name] = (run_task(execute, obj, inputs, limits, places)
                                     if status == "ok" else (status, obj))
        report["guard_calls"] = sorted(set(str(c) for c in calls))
    if os.getpid() != me:  # a fork of the learner's that came back here: only one report
        REAL_EXIT(0)
    channel.write(report)
    REAL_EXIT(0)
