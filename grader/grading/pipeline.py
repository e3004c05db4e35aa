"""The one grading core behind every entry point (check, grade, gradescope).

submission bytes -> cells to run -> child process (sandbox) -> judged in this process -> Result
"""
import os
import time

import torch

from grader.build import notebook
from grader.grading import drills, sandbox
from grader.grading.config import Config
from grader.grading.model import CheckResult, Result, SourceCheck, failed
from grader.grading.sandbox.child import strip_magics
from grader.payload import checkkit

RUN_ROLES = {"setup", "answer", None}  # a verdict needs these; never demo, widget or pasted cells


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
        if notebook.role(cell)[0] in RUN_ROLES:
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
        raise SubmissionError("cannot tell which assignment this is (no `# @drill setup ID` "
                              "line); pass --assignment")
    return drills.load(drill_id)


class Grader:
    """Grades submissions of any drill; the checks' inputs are prepared once per drill."""

    def __init__(self, assignment=None, config=None, visible_only=False):
        self.assignment = assignment
        self.config = config or Config()
        self.visible_only = visible_only
        self.limits = self.config.sandbox_limits()
        self._inputs = {}
        torch.set_num_threads(1)  # also what keeps fork() safe: no OpenMP pool to break

    def checks(self, drill):
        """(check, points, visible) in feedback order: visible, extra, hidden, source."""
        chosen = [c for c in drill.all_checks() if drill.is_visible(c) or not self.visible_only]
        return [(c, float(self.config.points.get(c.name, drill.points_of(c))),
                 drill.is_visible(c)) for c in chosen]

    def inputs(self, drill):
        if drill.id not in self._inputs:
            self._inputs[drill.id] = {c.name: c.prepare() for c, _, _ in self.checks(drill)
                                      if not isinstance(c, SourceCheck)}
        return self._inputs[drill.id]

    def plan(self, sub):
        """(drill, cells, job) for one submission, or a Result when it can't run."""
        started = time.monotonic()
        try:
            cells = cells_of(sub)
            drill = resolve_drill(cells, self.assignment)
        except (SubmissionError, drills.UnknownAssignment) as e:
            return self.failed(sub, str(e), started)
        inputs = self.inputs(drill)
        tasks = [(c.name, c.target, c.execute, inputs[c.name]) for c, _, _ in self.checks(drill)
                 if not isinstance(c, SourceCheck)]
        return drill, cells, sandbox.Job(cells, drill.targets, tasks, drill.guard, self.limits)

    def judge(self, sub, drill, cells, outcome):
        """Turn a child's outcome into a Result; every verdict is computed here."""
        inputs, graded = self.inputs(drill), self.checks(drill)
        source = "\n\n".join(strip_magics(src) for _, src in cells)  # what ran
        run = [c for c, _, _ in graded if not isinstance(c, SourceCheck)]
        verdicts = {c.name: self._verdict(c, visible, inputs.get(c.name), outcome)
                    for c, _, visible in graded if not isinstance(c, SourceCheck)}
        explained = checkkit.explain(run, verdicts)
        results = []
        for check, points, visible in graded:
            if isinstance(check, SourceCheck):
                status, message = self._source_verdict(check, run, verdicts, source, outcome)
            else:
                status, message = explained[check.name]
                if status in ("fail", "error") and message == verdicts[check.name][1]:
                    message = f"{message} (hint: {check.hint})"
            results.append(CheckResult(check.name, check.title,
                                       points if status == "pass" else 0.0, points, visible,
                                       status, message, getattr(check, "words", ("pass", "fail"))))
        return Result(
            student=sub.student, assignment=drill.id,
            status="error" if outcome.failure else "graded", reason=outcome.failure,
            checks=results, seconds=round(outcome.seconds, 3), sha256=sub.sha256,
            source_name=sub.name, shown=self._shown(drill, outcome),
            cell_errors=list(outcome.cell_errors)[:50], captured_output=outcome.output,
            superseded=list(sub.superseded), config=self.config.digest(),
            protections=list(outcome.protections))

    @staticmethod
    def _verdict(check, visible, inputs, outcome):
        if outcome.failure:
            return "error", outcome.failure
        status, value = outcome.tasks.get(check.name, ("error", "no result came back"))
        if status == "error" and not visible:
            # the learner's own exception text may quote a hidden input's shape or values
            return "error", checkkit.without_inputs(str(value))
        if status != "ok":
            return status, str(value)
        return checkkit.verdict(check, inputs, value)

    @staticmethod
    def _source_verdict(check, run, verdicts, source, outcome):
        """A source check waits for its target: an untouched stub is not 'from scratch'."""
        mine = [verdicts[c.name][0] for c in run if c.target == check.target]
        if mine and all(s == "todo" for s in mine):
            return "todo", "not implemented yet"
        try:
            passed, message = check.judge(source, list(outcome.guard_calls))
        except Exception as e:  # the source may be anything: a verdict, never a crash
            return "fail", f"the code could not be read ({type(e).__name__})"
        return ("pass" if passed else "fail"), str(message)

    @staticmethod
    def _shown(drill, outcome):
        """{label: number} of the results a drill shows in feedback (a demo's numbers)."""
        shown = {}
        for name, labels in drill.shows.items():
            status, value = outcome.tasks.get(name, (None, None))
            if status == "ok" and isinstance(value, dict):
                shown.update({label: value[key] for key, label in labels.items()
                              if isinstance(value.get(key), (int, float))})
        return shown

    def failed(self, sub, reason, started=None):
        elapsed = time.monotonic() - started if started else 0.0
        return failed(sub, reason, self.assignment or "", elapsed, self.config.digest())

    def grade(self, subs, jobs=1, on_done=None):
        """Grade submissions, `jobs` children at a time; on_done(result) as each finishes.

        One submission's failure to plan (anything it makes our own code raise) is its own
        error result, never the end of the batch."""
        results, runnable = [None] * len(subs), []
        for i, sub in enumerate(subs):
            try:
                planned = self.plan(sub)
            except Exception as e:
                planned = self.failed(sub, f"cannot be graded: {type(e).__name__}: "
                                           f"{str(e).splitlines()[0][:200] if str(e) else ''}")
            if isinstance(planned, Result):
                results[i] = planned
                on_done and on_done(planned)
            else:
                runnable.append((i, planned))

        def finished(k, outcome):
            i, (drill, cells, _) = runnable[k]
            try:
                results[i] = self.judge(subs[i], drill, cells, outcome)
            except Exception as e:  # our bug on one submission must not stop the batch
                results[i] = self.failed(subs[i], f"the grader failed on this submission "
                                                  f"({type(e).__name__})")
            on_done and on_done(results[i])
        if runnable:
            preload(plotting=len(runnable) > 1)
        sandbox.run_many([job for _, (_, _, job) in runnable], jobs=jobs, on_done=finished)
        return results


def preload(plotting=True):
    """Load once, before forking, what children would otherwise each load on their own.

    plotting: matplotlib, which every notebook's setup cell imports (about 0.4 s). Worth it
    for a batch; for one submission the child defers it instead (sandbox.lazyplot), and no
    verdict needs it. Checks take gradients through `.sum().backward()`, which imports
    nothing: `backward(gradient)` would import sympy (about 0.3 s) on first use.
    Only imports and a tiny computation: no threads start, so forking stays safe."""
    if plotting:
        try:
            import matplotlib
            matplotlib.use("Agg")  # the grader never shows a figure
            import matplotlib.pyplot  # noqa: F401
        except ImportError:  # not needed to grade; a submission that imports it reports it
            pass
    w = torch.zeros(1, requires_grad=True)
    (w * 1.0).sum().backward()


def grade_one(sub, assignment=None, config=None):
    """Grade a single submission (used by check and gradescope)."""
    return Grader(assignment, config).grade([sub])[0]
