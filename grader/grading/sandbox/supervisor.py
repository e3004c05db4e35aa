"""The grader's side: fork one child per submission, feed a selector loop with its report and
output pipes, enforce the wall-clock limit, and reap everything it started.

Whatever the learner patches lives and dies with the child; every verdict is computed back
in the grader (grader.grading.pipeline) from the plain data the child reports.
"""
import os
import selectors
import shutil
import signal
import sys
import tempfile
import time

from grader.grading.sandbox import channel, child, reaping
from grader.grading.sandbox.capture import Capture
from grader.grading.sandbox.limits import Outcome


class Child:
    """One running submission. Poll it from a selector loop; `finish()` returns an Outcome."""

    def __init__(self, job):
        self.limits = job.limits
        self.start = time.monotonic()
        self.oom_before = reaping.oom_kills()
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
                child.main(job, write_fd, out_write, self.workdir)
            finally:
                child.REAL_EXIT(70)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(write_fd)
        os.close(out_write)
        os.set_blocking(out_read, False)
        self.fd, self.out_fd = read_fd, out_read
        self.capture = Capture(self.limits.output_bytes)
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
        return channel.complete(self.data) or not chunk

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
        status = reaping.wait(self.pid, grace=2.0)
        self.kill()  # the session's leftovers
        reaping.reap_orphans(keep)
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
            out.__dict__.update(channel.decode(bytes(self.data)))
        except ValueError as e:
            out.failure = reaping.death_reason(status, self.limits, self.oom_before) or str(e)
        return out


def run(job):
    """Run one submission to completion (the single-submission path)."""
    return run_many([job], jobs=1)[0]


def run_many(jobs_list, jobs=1, on_done=None):
    """Run several submissions, at most `jobs` at a time; on_done(index, outcome) as each ends.

    We become a subreaper first, so what a submission detaches is re-parented to us and reaped.
    """
    reaping.become_subreaper()
    outcomes = [None] * len(jobs_list)
    sel = selectors.DefaultSelector()
    pending = list(enumerate(jobs_list))[::-1]
    running = {}  # report fd -> (index, child)
    while pending or running:
        while pending and len(running) < jobs:
            i, job = pending.pop()
            c = Child(job)
            running[c.fd] = (i, c)
            sel.register(c.fd, selectors.EVENT_READ, (c, True))
            sel.register(c.out_fd, selectors.EVENT_READ, (c, False))
        soonest = min(c.deadline for _, c in running.values())
        events = sel.select(timeout=max(0.0, soonest - time.monotonic()))
        finished = set()
        for key, _ in events:
            c, is_report = key.data
            if is_report and c.on_readable():
                finished.add(c.fd)
            elif not is_report and not c.on_output():
                sel.unregister(key.fd)
        now = time.monotonic()
        done = [(fd, False) for fd in finished]
        done += [(fd, True) for fd, (_, c) in running.items()
                 if c.deadline <= now and fd not in finished]
        for fd, timed_out in done:
            i, c = running.pop(fd)
            for f in (fd, c.out_fd):
                if f in sel.get_map():
                    sel.unregister(f)
            outcomes[i] = c.finish(timed_out, keep={c2.pid for _, c2 in running.values()})
            if on_done:
                on_done(i, outcomes[i])
    return outcomes
