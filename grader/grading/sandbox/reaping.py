"""Ending children: waiting, killing what they left behind, and saying why one died."""
import os
import signal
import time


def oom_kills():
    """The kernel's count of OOM-killer kills, or None where it is not exposed."""
    try:
        with open("/proc/vmstat") as f:
            return next((int(l.split()[1]) for l in f if l.startswith("oom_kill ")), None)
    except OSError:
        return None


def wait(pid, grace):
    """waitpid, but kill the child if it lingers after reporting."""
    end = time.monotonic() + grace
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def death_reason(status, limits, oom_before=None):
    """Why a child that sent no report ended, when its exit status tells."""
    if not os.WIFSIGNALED(status):
        return ""
    sig = os.WTERMSIG(status)
    gib = f"{limits.memory_bytes / 1024 ** 3:g} GiB"
    if sig == signal.SIGKILL:
        after = oom_kills()
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
