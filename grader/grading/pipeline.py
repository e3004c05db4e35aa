"""The one grading core behind every entry point (check, grade, gradescope).

submission bytes -> cells to run -> child process (sandbox) -> judged in this process -> Result
"""
import hashlib
import json
import os
import time

import torch

from grader.build import notebook
from grader.grading import drills, sandbox
from grader.grading.model import CheckResult, Result

SKIP_ROLES = {"demo", "instructor"}  # drill-owned cells the verdict never needs


class SubmissionError(ValueError):
    """A submission that cannot be graded at all; the message is the gradebook's reason."""


def cells_of(sub):
    """The (label, source) pieces of a submission that the child runs, in order."""
    text = sub.data.decode("utf-8", errors="replace")
    if sub.kind == "py":
        if "\x00" in text:
            raise SubmissionError(f"{sub.name} is binary data, not Python")
        return [(os.path.basename(sub.name), text)]
    try:
        nb = notebook.parse(text, os.path.basename(sub.name))
    except notebook.NotebookError as e:
        raise SubmissionError(str(e)) from None
    cells = []
    for i, cell in enumerate(nb["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        if not isinstance(cell.get("source", ""), (str, list)):
            continue  # a cell with a malformed source has no code to run
        if notebook.role(cell)[0] not in SKIP_ROLES:
            cells.append((f"cell {i}", notebook.source(cell)))
    if not cells:
        raise SubmissionError(f"{os.path.basename(sub.name)} has no code cells")
    return cells


def resolve_drill(cells, assignment=None):
    """The drill to grade against: given, detected from a setup marker, or the only one."""
    drill_id = assignment or drills.detect(src for _, src in cells)
    if drill_id is None and len(drills.ids()) == 1:
        drill_id = drills.ids()[0]
    if drill_id is None:
        raise SubmissionError("cannot tell which assignment this is; pass --assignment")
    return drills.load(drill_id)


def config_digest(config):
    """A short hash of the grading settings, so a changed config regrades old results."""
    return hashlib.sha256(json.dumps(config or {}, sort_keys=True).encode()).hexdigest()[:12]


class Grader:
    """Grades submissions of any drill; payloads (the checks' inputs) are built once per drill."""

    def __init__(self, assignment=None, config=None, visible_only=False):
        self.assignment = assignment
        self.config = config or {}
        self.visible_only = visible_only
        self.limits = sandbox.Limits(**self.config.get("limits", {}))
        self._payloads = {}
        torch.set_num_threads(1)  # also what keeps fork() safe: no OpenMP pool to break

    def checks(self, drill):
        points = self.config.get("points", {})
        chosen = [c for c in drill.checks if c.visible or not self.visible_only]
        return [(c, float(points.get(c.name, c.points))) for c in chosen]

    def payloads(self, drill):
        if drill.id not in self._payloads:
            self._payloads[drill.id] = {c.name: c.prepare() for c, _ in self.checks(drill)
                                        if not c.uses_source}
        return self._payloads[drill.id]

    def plan(self, sub):
        """(drill, cells, child-args) for one submission, or a Result when it can't run."""
        started = time.monotonic()
        try:
            cells = cells_of(sub)
            drill = resolve_drill(cells, self.assignment)
        except (SubmissionError, drills.UnknownAssignment) as e:
            return self.failed(sub, str(e), started)
        payloads = self.payloads(drill)
        tasks = [(c.name, c.execute, payloads[c.name]) for c, _ in self.checks(drill)
                 if not c.uses_source]
        return drill, cells, (cells, drill.target, tasks, drill.guard, self.limits)

    def judge(self, sub, drill, cells, outcome):
        """Turn a child's outcome into a Result; every verdict is computed here."""
        payloads, results = self.payloads(drill), []
        source = "\n\n".join(sandbox.strip_magics(src) for _, src in cells)  # what ran
        for check, points in self.checks(drill):
            status, message = self._verdict(check, payloads.get(check.name), outcome, source)
            if status in ("fail", "error") and check.hint:
                message = f"{message} (hint: {check.hint})"
            results.append(CheckResult(check.name, check.title,
                                       points if status == "pass" else 0.0, points,
                                       check.visible, status, message))
        demo = outcome.tasks.get("demo", (None, None))
        return Result(
            student=sub.student, assignment=drill.id,
            status="error" if outcome.failure else "graded", reason=outcome.failure,
            checks=results, seconds=round(outcome.seconds, 3), sha256=sub.sha256,
            source_name=sub.name,
            demo=demo[1] if demo[0] == "ok" and isinstance(demo[1], dict) else {},
            cell_errors=list(outcome.cell_errors)[:50], captured_output=outcome.output,
            superseded=list(getattr(sub, "superseded", [])),
            config=config_digest(self.config))

    @staticmethod
    def _verdict(check, payload, outcome, source):
        if check.uses_source:
            return _safe_judge(check, source, list(outcome.guard_calls))
        if outcome.failure:
            return "error", outcome.failure
        if outcome.target_error:
            return "fail", outcome.target_error
        status, value = outcome.tasks.get(check.name, ("error", "no result came back"))
        if status == "error" and not check.visible:
            # the learner's own exception text may quote a hidden input's shape or values
            kind = str(value).split(":", 1)[0].replace("raised ", "")
            return "error", f"your code raised {kind} on this hidden check's inputs"
        if status != "ok":
            return status, value
        return _safe_judge(check, payload, value)

    def failed(self, sub, reason, started=None):
        elapsed = time.monotonic() - started if started else 0.0
        return Result(student=sub.student, assignment=self.assignment or "", status="error",
                      reason=reason, checks=[], seconds=round(elapsed, 3), sha256=sub.sha256,
                      source_name=sub.name, superseded=list(getattr(sub, "superseded", [])),
                      config=config_digest(self.config))

    def grade(self, subs, jobs=1, on_done=None):
        """Grade submissions, `jobs` children at a time; on_done(result) as each finishes."""
        results, runnable = [None] * len(subs), []
        for i, sub in enumerate(subs):
            planned = self.plan(sub)
            if isinstance(planned, Result):
                results[i] = planned
                on_done and on_done(planned)
            else:
                runnable.append((i, planned))

        def finished(k, outcome):
            i, (drill, cells, _) = runnable[k]
            results[i] = self.judge(subs[i], drill, cells, outcome)
            on_done and on_done(results[i])
        if runnable:
            preload()
        sandbox.run_many([args for _, (_, _, args) in runnable], jobs=jobs, on_done=finished)
        return results


def preload():
    """Load once, before forking, what every child would otherwise load lazily on its own:
    matplotlib (notebooks import pyplot) and the modules torch imports on a first
    backward(gradient). (The demo's hand-written Adam avoids torch.optim, whose first step
    imports torch._dynamo: about 1 s.)
    Only imports and a tiny computation: no threads start, so forking stays safe."""
    try:
        import matplotlib
        matplotlib.use("Agg")  # the grader never shows a figure
        import matplotlib.pyplot  # noqa: F401
    except ImportError:  # not needed to grade; a submission that imports it reports the error
        pass
    w = torch.zeros(1, requires_grad=True)
    (w * 1.0).backward(torch.ones(1))


def _safe_judge(check, payload, value):
    try:
        passed, message = check.judge(payload, value)
    except Exception as e:  # malformed results from the learner's code are a fail, not a crash
        return "fail", f"unexpected result from your code ({type(e).__name__})"
    return ("pass" if passed else "fail"), str(message)


def grade_one(sub, assignment=None, config=None):
    """Grade a single submission (used by check and gradescope)."""
    return Grader(assignment, config).grade([sub])[0]
