"""Child-side confinement: namespaces, a read-only filesystem, no privileges.

Each step is tried and skipped when the kernel refuses it (containers, old kernels, no user
namespaces), and each one that worked is named in the list the child reports, so a gradebook
can say which protections a run really had. Only the forked child calls these.
"""
import ctypes
import os
import re
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
# Per-mount flags a remount must repeat: in a user namespace the kernel refuses to clear them.
KEEP_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC,
              "noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21}
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
NOBODY = 65534


def _load_libc():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]
    return libc


LIBC = _load_libc()  # loaded once in the grader; children inherit it


def die_with_parent():
    """SIGKILL this process when its parent dies (the grader, or the relay before a PID
    namespace), so a killed grader leaves nothing running."""
    if LIBC is not None:
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def unshare_namespaces():
    """Enter new PID, network and mount namespaces: directly as root, else inside a new user
    namespace where we are root. Returns the protections that are active.

    The caller must fork afterwards: only its children live in the new PID namespace.
    """
    if LIBC is None:
        return []
    uid, gid = os.getuid(), os.getgid()
    full, basic = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS, CLONE_NEWPID | CLONE_NEWNET
    tries = [(full, False), (full, True), (basic, False), (basic, True)]
    for flags, user in tries:
        if user or os.geteuid() == 0:
            if LIBC.unshare(flags | (CLONE_NEWUSER if user else 0)) == 0:
                if user:
                    _map_root(uid, gid)
                return (["pid-namespace", "no-network"]
                        + (["mount-namespace"] if flags & CLONE_NEWNS else [])
                        + (["user-namespace"] if user else []))
    return []


def _map_root(uid, gid):
    """Map our own uid/gid to root inside the new user namespace (needed to mount)."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"),
                       ("gid_map", f"0 {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
        except OSError:
            pass


def _mounts():
    """(mount point, per-mount options) of every mount we can see."""
    unescape = lambda s: re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            yield unescape(fields[4]), fields[5].split(",")


def _mount(source, target, fstype, flags, data=None):
    enc = lambda s: os.fsencode(s) if isinstance(s, str) else s
    return LIBC.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) == 0


def read_only_view(workdir, size, owner):
    """Make every mount read-only except a fresh tmpfs (size bytes, owned by uid `owner`) on
    workdir, and mount a /proc that shows only our PID namespace (and so not the grader's
    environment or command line). Run in a private mount namespace, as its root."""
    if LIBC is None or not _mount(None, "/", None, MS_REC | MS_PRIVATE):
        return []
    active = []
    if _mount("grader", workdir, "tmpfs", MS_NOSUID | MS_NODEV,
              f"size={size},mode=0700,uid={owner},gid={owner}"):
        active.append("private-tmpfs")
    elif _mount(workdir, workdir, None, MS_BIND):
        os.chown(workdir, owner, owner)
    else:
        return []
    if owner:
        _expose_python()
    real_workdir = os.path.realpath(workdir)
    failed = 0
    for point, opts in list(_mounts()):
        if "rw" not in opts or point in (workdir, real_workdir):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | sum(KEEP_FLAGS.get(o, 0) for o in opts)
        failed += not _mount(None, point, None, flags)
    if not failed:
        active.append("read-only-filesystem")
    if _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY):
        active.append("private-proc")
    return active


def _blocked(path):
    """The first folder on the way to path that other users cannot enter, or None."""
    parts = os.path.realpath(path).split(os.sep)[1:]
    for i in range(1, len(parts)):
        folder = os.sep + os.path.join(*parts[:i])
        try:
            if not os.stat(folder).st_mode & 0o001:
                return folder
        except OSError:
            return None
    return None


def _expose_python():
    """Let an unprivileged child import what we can: where Python or its packages sit in a
    folder closed to other users (a pyenv under /root), cover that folder with an empty
    tmpfs and bind the Python folders back at their own paths. What else that folder held
    stays out of sight."""
    targets = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, *sys.path)
               if p and os.path.isdir(p)}
    targets = {t for t in targets if not any(t.startswith(o + os.sep) for o in targets)}
    by_folder = {}
    for target in targets:
        folder = _blocked(target)
        if folder:
            by_folder.setdefault(folder, []).append(target)
    for folder, inside in sorted(by_folder.items()):
        fds = [os.open(t, os.O_PATH) for t in inside]
        if _mount("grader", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"):
            for target, fd in zip(inside, fds):
                os.makedirs(target, exist_ok=True)
                _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
        for fd in fds:
            os.close(fd)


def can_read_python():
    """Whether an unprivileged user can reach Python and its packages without our help."""
    return not any(_blocked(p) for p in (sys.base_prefix, sys.prefix, *sys.path)
                   if p and os.path.isdir(p))


def drop_privileges(in_user_namespace, max_processes, exposed=False):
    """Give up the power to undo the confinement (remount, write root's files, raise limits).

    As real root: become `nobody` (where it can still import Python: `exposed`, or a Python
    open to all), which also makes the process cap enforceable. Inside a
    user namespace: enter a nested one, which holds no capability over our mount namespace.
    """
    if LIBC is not None:
        LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    try:
        if in_user_namespace:
            if LIBC is not None and LIBC.unshare(CLONE_NEWUSER) == 0:
                return ["no-capabilities"]
        elif os.geteuid() == 0 and (exposed or can_read_python()):
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
            return ["unprivileged-user"]
    except (OSError, ValueError):
        pass
    return []
