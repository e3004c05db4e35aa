"""Batch grading into an output folder that survives interruption.

Each student's results.json and feedback.html are written atomically the moment they are
ready; a rerun with the same --out reuses every result whose submission hash and grading
settings are unchanged, so a batch killed at any point finishes without regrading or
duplicating anything. The gradebooks are rebuilt from the results at the end. No input stops
the batch: whatever one file makes go wrong is that student's row, with a one-line reason.

A batch of one drill writes OUT/gradebook.csv and OUT/<student>/. A batch across drills
writes OUT/<drill>/gradebook.csv (that drill's columns only) and OUT/<drill>/<student>/ for
each drill, OUT/unrecognised/ for files of no known drill, and OUT/course_summary.csv.
"""
import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass

from tqdm import tqdm

from grader.build import notebook
from grader.grading import collect, lms, report
from grader.grading.config import Config
from grader.grading.model import Submission, failed
from grader.grading.pipeline import Grader


UNKNOWN = "unrecognised"  # the folder of files of no known drill, in a batch across drills
SUMMARY = "course_summary.csv"
UNMATCHED = "lms_unmatched.csv"


@dataclass
class Layout:
    """Where a batch writes: one folder (one drill), or a folder per drill."""
    out: str
    across: bool

    def folder(self, drill):
        return os.path.join(self.out, drill or UNKNOWN) if self.across else self.out

    def student_dir(self, drill, student):
        return os.path.join(self.folder(drill), collect.safe_id(student))

    def previous_dirs(self, sub):
        """Where an earlier run may have saved this submission: here, or in the other
        layout (a batch that gained or lost a drill reuses its work)."""
        other = Layout(self.out, not self.across)
        dirs = [self.student_dir(sub.drill, sub.student)]
        if sub.drill or not other.across:
            dirs.append(other.student_dir(sub.drill, sub.student))
        return dirs


def load_previous(layout, sub, digest):
    """(saved result for this exact submission, drill and config, or None; whether it was
    saved where this run writes)."""
    for n, folder in enumerate(layout.previous_dirs(sub)):
        try:
            with open(os.path.join(folder, "results.json"), encoding="utf-8") as f:
                result = report.result_from_json(json.load(f))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            continue
        if (result.sha256 == sub.sha256 and result.config == digest
                and result.assignment in (sub.drill, "")):
            return result, n == 0
    return None, False


def save(layout, drill, result):
    folder = layout.student_dir(drill, result.student)
    notebook.write_atomic(os.path.join(folder, "feedback.html"), report.feedback_html(result))
    notebook.write_atomic(os.path.join(folder, "results.json"),
                          json.dumps(report.results_json(result), indent=1) + "\n")


def grade_paths(paths, out, jobs=1, assignment=None, config=None, progress=True, targets=()):
    """Grade everything under paths into out, then fill the LMS templates in targets
    (lms.Target); returns the summary for the terminal."""
    config = config or Config()
    subs, problems, warnings = collect.gather(paths, assignment=assignment)
    seen = sorted({x.drill for x in [*subs, *problems]} - {""})
    layout = Layout(out, len(seen) > 1)
    targets = lms.resolve(targets, seen)  # a bad template fails before any grading
    grader = Grader(assignment, config)
    digest = config.digest()
    os.makedirs(out, exist_ok=True)
    pairs, todo, reused, fresh = [], [], Counter(), Counter()
    for problem in problems:
        sub = Submission(student=problem.student, name=problem.name, kind="", data=b"",
                         drill=problem.drill, lms=problem.lms)
        pairs.append((sub, failed(sub, problem.reason, problem.drill, config=digest)))
        save(layout, sub.drill, pairs[-1][1])
    for sub in subs:
        previous, in_place = load_previous(layout, sub, digest)
        if previous is None:
            todo.append(sub)
            continue
        pairs.append((sub, previous))
        reused[sub.drill] += 1
        if not in_place:
            save(layout, sub.drill, previous)
    by_name = {sub.name: sub for sub in todo}
    bar = tqdm(total=len(todo), unit="submission", disable=not progress or not todo,
               file=sys.stderr, dynamic_ncols=True, mininterval=0.5)
    errors = 0

    def done(result):
        nonlocal errors
        sub = by_name[result.source_name]
        save(layout, sub.drill, result)
        pairs.append((sub, result))
        fresh[sub.drill] += 1
        errors += result.status == "error"
        bar.set_postfix(errors=errors, refresh=False)
        bar.update(1)
    try:
        grader.grade(todo, jobs=jobs, on_done=done)
    finally:
        bar.close()
    lines = _gradebooks(layout, pairs, fresh, reused)
    if layout.across:
        path = os.path.join(out, SUMMARY)
        report.write_summary(path, pairs, seen)
        students = len({sub.student for sub, _ in pairs})
        lines.append(f"Course summary: {path} ({students} students, {len(seen)} drills)")
    if targets:
        lines += _fill_lms(layout, targets, pairs)
    stale, was = ((os.path.join(out, "gradebook.csv"), "one drill") if layout.across
                  else (os.path.join(out, SUMMARY), "several drills"))
    if os.path.exists(stale):
        lines.append(f"note: {stale} is from an earlier run of {was} into this folder; "
                     "this run did not write it")
    return "\n".join(lines + [f"warning: {w}" for w in warnings])


def _gradebooks(layout, pairs, fresh, reused):
    """Write each gradebook; one summary line per drill (one line for a one-drill batch)."""
    groups = defaultdict(list)
    for sub, result in pairs:
        groups[sub.drill if layout.across else ""].append((sub, result))
    lines = []
    for drill in sorted(groups):
        results = [r for _, r in groups[drill]]
        names, titles = [], {}
        for r in results:
            for c in r.checks:
                if c.name not in titles:
                    names.append(c.name)
                    titles[c.name] = c.title
        path = os.path.join(layout.folder(drill), "gradebook.csv")
        report.write_gradebook(path, results, names, titles)
        now, again = ((fresh[drill], reused[drill]) if layout.across
                      else (sum(fresh.values()), sum(reused.values())))
        errors = sum(r.status == "error" for r in results)
        older = sum(len(s.superseded) for s, _ in groups[drill])
        label = f"{drill or UNKNOWN}: " if layout.across else ""
        lines.append(f"{label}{len(results)} submissions: {now} graded now, "
                     f"{again} reused from an earlier run, {errors} with errors, {older} "
                     f"superseded (older files of the same drill, not graded). Gradebook: {path}")
    return lines


def _fill_lms(layout, targets, pairs):
    """Fill every template, write the filled copies and the list of what found no row."""
    lines, unmatched, sheets = [], [], {}
    for t in targets:
        graded = [(s, r) for s, r in pairs if s.drill == t.drill]
        filled, missed, notes = lms.fill(t, graded, report.num)
        unmatched += missed
        rows = len({lms.row_id(t, row) for row in t.sheet.rows[1:]} - {""})
        if t.kind == "canvas":
            path = os.path.join(layout.out, "canvas_import.csv")
            what = f"column {t.sheet.header[t.col]!r}"
        else:
            path = os.path.join(layout.folder(t.drill), "moodle_import.csv")
            what = "Grade column"
        sheets[path] = t.sheet
        lines.append(f"{lms.NAMES[t.kind]} {t.drill}: {filled} of {rows} students filled in "
                     f"the {what} -> {path}")
        lines += notes
    for path, sheet in sheets.items():
        sheet.write(path)
    path = os.path.join(layout.out, UNMATCHED)
    lms.write_unmatched(path, unmatched, notebook.write_atomic)
    if unmatched:
        lines.append(f"{len(unmatched)} submissions not written to the LMS (listed in {path}):")
        for u in unmatched:
            about = [u.drill, *([f"score {u.score}"] if u.score else [])]
            lines.append(f"  {u.student} ({', '.join(about)}): {u.reason}")
    return lines
