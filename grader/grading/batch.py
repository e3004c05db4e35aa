"""Batch grading into an output folder that survives interruption.

Each student's results.json and feedback.html are written atomically the moment they are
ready; a rerun with the same --out reuses every result whose submission hash and grading
settings are unchanged, so a batch killed at any point finishes without regrading or
duplicating anything. The gradebook is rebuilt from the results at the end.
"""
import json
import os
import sys
import time

from grader.build import notebook
from grader.grading import collect, report
from grader.grading.model import Result, Submission
from grader.grading.pipeline import Grader, config_digest


def student_dir(out, student):
    return os.path.join(out, collect.safe_id(student))


def load_previous(out, sub, digest):
    """The saved result for this exact submission and config, or None."""
    path = os.path.join(student_dir(out, sub.student), "results.json")
    try:
        with open(path, encoding="utf-8") as f:
            result = report.result_from_json(json.load(f))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if result.sha256 == sub.sha256 and result.config == digest:
        return result
    return None


def save(out, result):
    folder = student_dir(out, result.student)
    notebook.write_atomic(os.path.join(folder, "feedback.html"), report.feedback_html(result))
    notebook.write_atomic(os.path.join(folder, "results.json"),
                          json.dumps(report.results_json(result), indent=1) + "\n")


class Progress:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, total, enabled):
        self.total, self.done, self.errors = total, 0, 0
        self.enabled = enabled and total > 0
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()

    def step(self, result):
        self.done += 1
        self.errors += result.status == "error"
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        bar = "#" * int(30 * self.done / self.total)
        line = (f"[{bar:<30}] {self.done}/{self.total} graded, {self.errors} errors, "
                f"{elapsed:.0f}s elapsed, ~{eta:.0f}s left")
        if self.tty:
            print("\r" + line, end="\n" if self.done == self.total else "", file=sys.stderr,
                  flush=True)
        elif self.done == self.total or self.done % max(1, self.total // 10) == 0:
            print(line, file=sys.stderr, flush=True)


def grade_paths(paths, out, jobs=1, assignment=None, config=None, progress=True):
    """Grade everything under paths into out; returns a one-paragraph summary."""
    config = config or {}
    subs, problems = collect.collect(paths)
    grader = Grader(assignment, config)
    digest = config_digest(config)
    os.makedirs(out, exist_ok=True)
    results, todo = [], []
    for problem in problems:
        sub = Submission(student=problem.student, name=problem.name, kind="", data=b"")
        results.append(grader.failed(sub, problem.reason))
    for sub in subs:
        previous = load_previous(out, sub, digest)
        (results.append(previous) if previous else todo.append(sub))
    reused = len(results) - len(problems)
    for result in results[:len(problems)]:
        save(out, result)
    bar = Progress(len(todo), progress)

    def done(result):
        save(out, result)
        bar.step(result)
    results += grader.grade(todo, jobs=jobs, on_done=done)
    check_names, titles = [], {}
    for r in results:
        for c in r.checks:
            if c.name not in titles:
                check_names.append(c.name)
                titles[c.name] = c.title
    report.write_gradebook(os.path.join(out, "gradebook.csv"), results, check_names, titles)
    errors = sum(r.status == "error" for r in results)
    return (f"{len(results)} submissions: {len(todo)} graded now, {reused} reused from an "
            f"earlier run, {errors} with errors. Gradebook: {os.path.join(out, 'gradebook.csv')}")
